-- name: unlock_user :rows
-- Clears a user's lock, failure count and lockout doubling (admin unlock); 0 rows when there was nothing to clear.
-- $1 hospital_id uuid, $2 user_id uuid
-- index: users_hospital_id_key
UPDATE users
   SET is_locked = false, lockout_until = NULL, failed_login_attempts = 0, lockout_count = 0, updated_at = now()
 WHERE hospital_id = $1 AND id = $2
   AND (is_locked OR lockout_until IS NOT NULL OR failed_login_attempts > 0 OR lockout_count > 0);
