-- name: get_user_state :one
-- A user's role and active state, read under a row lock before a role change or (de)activation.
-- $1 hospital_id uuid, $2 user_id uuid
-- returns: UserStateRow
-- index: users_hospital_id_key
SELECT role, is_active
  FROM users
 WHERE hospital_id = $1 AND id = $2
   FOR NO KEY UPDATE;
