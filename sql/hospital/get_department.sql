-- name: get_department :one
-- One department of a hospital; no row for another hospital's.
-- $1 hospital_id uuid, $2 department_id uuid
-- returns: DepartmentRow
-- index: departments_hospital_id_key
SELECT id, name, code, is_active
  FROM departments
 WHERE hospital_id = $1 AND id = $2;
