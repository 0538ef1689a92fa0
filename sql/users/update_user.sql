-- name: update_user :rows
-- Changes a user's profile. name null keeps it; each other field changes only when its set_ flag is true
-- (so null can clear it). 0 rows for another hospital's user.
-- $1 hospital_id uuid, $2 user_id uuid, $3 name text, $4 set_department boolean, $5 department_id uuid, $6 set_license_number boolean, $7 license_number text, $8 set_specialization boolean, $9 specialization text, $10 set_shift_schedule boolean, $11 shift_schedule jsonb
-- index: users_hospital_id_key
UPDATE users
   SET name = coalesce($3, name),
       department_id = CASE WHEN $4 THEN $5 ELSE department_id END,
       license_number = CASE WHEN $6 THEN $7 ELSE license_number END,
       specialization = CASE WHEN $8 THEN $9 ELSE specialization END,
       shift_schedule = CASE WHEN $10 THEN $11 ELSE shift_schedule END,
       updated_at = now()
 WHERE hospital_id = $1 AND id = $2;
