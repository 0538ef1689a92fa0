-- name: list_users :many
-- One page of a hospital's users, ordered by name, then id. Each filter is optional (null: any): search is a
-- case-insensitive substring of the name or the email; role, department and active state match exactly.
-- $1 hospital_id uuid, $2 search text, $3 role text, $4 department_id uuid, $5 is_active boolean, $6 page_size bigint, $7 skip bigint
-- returns: UserRow
-- index: users_hospital_name_idx, users_hospital_role_name_idx, users_hospital_department_name_idx, users_hospital_active_name_idx
SELECT id, hospital_id, email, name, role, department, license_number, specialization, shift_schedule,
       is_active, is_locked, lockout_until, two_factor_enabled, last_login_at, created_at, updated_at
  FROM user_details
 WHERE hospital_id = $1
   AND ($2::text IS NULL OR strpos(lower(name), lower($2)) > 0 OR strpos(email, lower($2)) > 0)
   AND ($3::text IS NULL OR role = $3)
   AND ($4::uuid IS NULL OR department_id = $4)
   AND ($5::boolean IS NULL OR is_active = $5)
 ORDER BY name, id
 LIMIT $6 OFFSET $7;
