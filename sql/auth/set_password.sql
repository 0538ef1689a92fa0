-- name: set_password :rows
-- Stores a password the user chose (argon2id): ends any temporary password and the obligation to change it.
-- $1 hospital_id uuid, $2 user_id uuid, $3 password_hash text
-- index: users_hospital_id_key
UPDATE users
   SET password_hash = $3,
       password_changed_at = now(),
       must_change_password = false,
       password_expires_at = NULL,
       updated_at = now()
 WHERE hospital_id = $1 AND id = $2;
