-- name: change_role :rows
-- Gives a user another role; 0 rows when it has that role already.
-- $1 hospital_id uuid, $2 user_id uuid, $3 role text
-- index: users_hospital_id_key
UPDATE users
   SET role = $3, updated_at = now()
 WHERE hospital_id = $1 AND id = $2 AND role <> $3;
