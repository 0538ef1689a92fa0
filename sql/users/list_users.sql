-- name: list_users :many
-- One page of a hospital's users, ordered by name, then id. Each filter is optional (null: any): search is a
-- case-insensitive substring of the name or the email; role, department and active state match exactly.
-- $1 hospital_id uuid, $2 search text, $3 role text, $4 department_id uuid, $5 is_active boolean, $6 page_size bigint, $7 skip bigint
-- returns: UserRow
-- index: users_hospital_name_idx, users_hospital_role_name_idx, users_hospital_department_name_idx, users_hospital_active_name_idx
SELECT u.id, u.hospital_id, u.email, u.name, u.role,
       CASE WHEN d.id IS NULL THEN NULL ELSE jsonb_build_object('id', d.id, 'name', d.name, 'code', d.code) END AS department,
       u.license_number, u.specialization, u.shift_schedule, u.is_active,
       u.is_locked AND (u.lockout_until IS NULL OR u.lockout_until > now()) AS is_locked,
       CASE WHEN u.is_locked AND u.lockout_until > now() THEN u.lockout_until END AS lockout_until,
       u.two_factor_enabled, u.last_login_at, u.created_at, u.updated_at
  FROM users u
  LEFT JOIN departments d ON d.hospital_id = $1 AND d.id = u.department_id
 WHERE u.hospital_id = $1
   AND ($2::text IS NULL OR strpos(lower(u.name), lower($2)) > 0 OR strpos(u.email, lower($2)) > 0)
   AND ($3::text IS NULL OR u.role = $3)
   AND ($4::uuid IS NULL OR u.department_id = $4)
   AND ($5::boolean IS NULL OR u.is_active = $5)
 ORDER BY u.name, u.id
 LIMIT $6 OFFSET $7;
