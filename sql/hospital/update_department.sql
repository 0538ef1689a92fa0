-- name: update_department :one
-- Changes a department; each null parameter keeps its value. No row for another hospital's department; a code
-- the hospital already uses raises a unique violation (409).
-- $1 hospital_id uuid, $2 department_id uuid, $3 name text, $4 code text, $5 is_active boolean
-- returns: DepartmentRow
-- index: departments_hospital_id_key
UPDATE departments
   SET name = coalesce($3, name),
       code = coalesce($4, code),
       is_active = coalesce($5, is_active),
       updated_at = now()
 WHERE hospital_id = $1 AND id = $2
RETURNING id, name, code, is_active;
