-- name: get_user :one
-- One user of a hospital as the API shows it (with its department); no row for another hospital's user.
-- $1 hospital_id uuid, $2 user_id uuid
-- returns: UserRow
-- index: users_hospital_id_key
SELECT u.id, u.hospital_id, u.email, u.name, u.role,
       CASE WHEN d.id IS NULL THEN NULL ELSE jsonb_build_object('id', d.id, 'name', d.name, 'code', d.code) END AS department,
       u.license_number, u.specialization, u.shift_schedule, u.is_active,
       u.is_locked AND (u.lockout_until IS NULL OR u.lockout_until > now()) AS is_locked,
       CASE WHEN u.is_locked AND u.lockout_until > now() THEN u.lockout_until END AS lockout_until,
       u.two_factor_enabled, u.last_login_at, u.created_at, u.updated_at
  FROM users u
  LEFT JOIN departments d ON d.hospital_id = $1 AND d.id = u.department_id
 WHERE u.hospital_id = $1 AND u.id = $2;
