-- name: create_user :one
-- Creates a user in a hospital. No row when the email (unique across hospitals) or the id is taken.
-- The department must be one of the same hospital (composite foreign key). The result is user_details' shape,
-- spelled out because the statement cannot read its own insert through the view.
-- $1 hospital_id uuid, $2 user_id uuid, $3 email text, $4 name text, $5 role text, $6 department_id uuid, $7 license_number text, $8 specialization text, $9 shift_schedule jsonb, $10 password_hash text, $11 must_change_password boolean, $12 password_expires_at timestamptz
-- returns: UserRow
-- index: users_email_key
WITH created AS (
    INSERT INTO users (id, hospital_id, email, name, role, department_id, license_number, specialization,
                       shift_schedule, password_hash, must_change_password, password_expires_at)
    VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT DO NOTHING
    RETURNING id, hospital_id, email, name, role, department_id, license_number, specialization, shift_schedule,
              is_active, is_locked, lockout_until, two_factor_enabled, last_login_at, created_at, updated_at
)
SELECT u.id, u.hospital_id, u.email, u.name, u.role,
       CASE WHEN d.id IS NULL THEN NULL ELSE jsonb_build_object('id', d.id, 'name', d.name, 'code', d.code) END AS department,
       u.license_number, u.specialization, u.shift_schedule, u.is_active,
       u.is_locked AND (u.lockout_until IS NULL OR u.lockout_until > now()) AS is_locked,
       CASE WHEN u.is_locked AND u.lockout_until > now() THEN u.lockout_until END AS lockout_until,
       u.two_factor_enabled, u.last_login_at, u.created_at, u.updated_at
  FROM created u
  LEFT JOIN departments d ON d.hospital_id = $1 AND d.id = u.department_id;
