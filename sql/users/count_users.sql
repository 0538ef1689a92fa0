-- name: count_users :one
-- How many of a hospital's users match the filters of list_users (the page's total).
-- $1 hospital_id uuid, $2 search text, $3 role text, $4 department_id uuid, $5 is_active boolean
-- returns: CountRow
-- index: users_hospital_name_idx, users_hospital_role_name_idx, users_hospital_department_name_idx, users_hospital_active_name_idx
SELECT count(*) AS count
  FROM users u
 WHERE u.hospital_id = $1
   AND ($2::text IS NULL OR strpos(lower(u.name), lower($2)) > 0 OR strpos(u.email, lower($2)) > 0)
   AND ($3::text IS NULL OR u.role = $3)
   AND ($4::uuid IS NULL OR u.department_id = $4)
   AND ($5::boolean IS NULL OR u.is_active = $5);
