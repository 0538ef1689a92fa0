-- name: count_active_admins :one
-- How many active admins a hospital has (never demote or deactivate the last one).
-- $1 hospital_id uuid
-- returns: CountRow
-- index: users_hospital_role_name_idx
SELECT count(*) AS count
  FROM users
 WHERE hospital_id = $1 AND role = 'admin' AND is_active;
