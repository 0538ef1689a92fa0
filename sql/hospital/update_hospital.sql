-- name: update_hospital :rows
-- Changes a hospital's details: name null keeps it; address and phone change only when their set_ flag is true.
-- $1 hospital_id uuid, $2 name text, $3 set_address boolean, $4 address text, $5 set_phone boolean, $6 phone text
-- index: hospitals_pkey
UPDATE hospitals
   SET name = coalesce($2, name),
       address = CASE WHEN $3 THEN $4 ELSE address END,
       phone = CASE WHEN $5 THEN $6 ELSE phone END,
       updated_at = now()
 WHERE id = $1;
