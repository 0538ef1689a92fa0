-- name: list_users :many
-- One page of a hospital's users, ordered by name, then id. Each filter is optional (null: any): search is a
-- case-insensitive substring of the name or the email; role, department and active state match exactly.
-- The page is found first, by id alone, and only its rows are read in full: the rows skipped to reach a deep
-- page cost an index entry each (an index-only scan when no filter needs other columns), not a heap fetch, a
-- department join and a JSON object.
-- $1 hospital_id uuid, $2 search text, $3 role text, $4 department_id uuid, $5 is_active boolean, $6 page_size bigint, $7 skip bigint
-- returns: UserRow
-- index: users_hospital_name_idx, users_hospital_role_name_idx, users_hospital_department_name_idx, users_hospital_active_name_idx
WITH page AS (
    SELECT u.id, u.name
      FROM users u
     WHERE u.hospital_id = $1
       AND ($2::text IS NULL OR strpos(lower(u.name), lower($2)) > 0 OR strpos(u.email, lower($2)) > 0)
       AND ($3::text IS NULL OR u.role = $3)
       AND ($4::uuid IS NULL OR u.department_id = $4)
       AND ($5::boolean IS NULL OR u.is_active = $5)
     ORDER BY u.name, u.id
     LIMIT $6 OFFSET $7
)
SELECT d.id, d.hospital_id, d.email, d.name, d.role, d.department, d.license_number, d.specialization,
       d.shift_schedule, d.is_active, d.is_locked, d.lockout_until, d.two_factor_enabled, d.last_login_at,
       d.created_at, d.updated_at
  FROM page
  JOIN user_details d ON d.hospital_id = $1 AND d.id = page.id
 ORDER BY page.name, page.id;
