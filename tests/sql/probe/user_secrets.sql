-- name: user_secrets :one
-- Test probe: how a user's secrets are stored (never plain text) and its lockout counters.
-- $1 hospital_id uuid, $2 user_id uuid
-- returns: UserSecretsRow
-- index: users_hospital_id_key
SELECT password_hash, two_factor_secret, two_factor_backup_codes, two_factor_last_used_step,
       failed_login_attempts, lockout_count, is_locked, lockout_until, must_change_password, password_expires_at
  FROM users
 WHERE hospital_id = $1 AND id = $2;
