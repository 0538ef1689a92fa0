-- name: get_credentials :one
-- What changing a password, the 2FA setup and a completed login check: the password hash, whether it must be
-- changed, and the 2FA state of one user.
-- $1 hospital_id uuid, $2 user_id uuid
-- returns: Credentials
-- index: users_hospital_id_key
SELECT email, password_hash, must_change_password, two_factor_enabled, two_factor_secret, two_factor_last_used_step
  FROM users
 WHERE hospital_id = $1 AND id = $2;
