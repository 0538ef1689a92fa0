-- name: user_login_facts :one
-- Test probe: what the command line stored for a user (role, hospital, whether a password change is due).
-- $1 hospital_id uuid, $2 email text
-- returns: UserFactsRow
-- index: users_email_key
SELECT role, must_change_password, password_hash LIKE '$argon2id$%' AS argon2id, is_active
  FROM users
 WHERE hospital_id = $1 AND email = $2;
