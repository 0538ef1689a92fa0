-- name: create_department :one
-- Creates a department; no row when the hospital already has a department with that code (or that id).
-- $1 hospital_id uuid, $2 department_id uuid, $3 name text, $4 code text
-- returns: DepartmentRow
-- index: departments_hospital_code_key
INSERT INTO departments (id, hospital_id, name, code)
VALUES ($2, $1, $3, $4)
ON CONFLICT DO NOTHING
RETURNING id, name, code, is_active;
