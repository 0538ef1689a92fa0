-- name: list_departments :many
-- A hospital's departments, active and inactive, ordered by code.
-- $1 hospital_id uuid
-- returns: DepartmentRow
-- index: departments_hospital_code_key
SELECT id, name, code, is_active
  FROM departments
 WHERE hospital_id = $1
 ORDER BY code;
