-- name: set_active :rows
-- Activates or deactivates a user; 0 rows when it is in that state already.
-- $1 hospital_id uuid, $2 user_id uuid, $3 is_active boolean
-- index: users_hospital_id_key
UPDATE users
   SET is_active = $3, updated_at = now()
 WHERE hospital_id = $1 AND id = $2 AND is_active <> $3;
