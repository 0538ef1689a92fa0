-- name: complete_login :rows
-- A completed login: resets the failure count, any expired lock and the lockout doubling, records when and from
-- where, and replaces the password hash when it was made with weaker parameters. 0 rows when the account was
-- deactivated or locked in the meantime (the login then fails).
-- $1 hospital_id uuid, $2 user_id uuid, $3 ip_address inet, $4 new_password_hash text
-- index: users_hospital_id_key
UPDATE users
   SET failed_login_attempts = 0,
       lockout_count = 0,
       is_locked = false,
       lockout_until = NULL,
       last_login_at = now(),
       last_login_ip = $3,
       password_hash = coalesce($4, password_hash)
 WHERE hospital_id = $1 AND id = $2
   AND is_active
   AND NOT (is_locked AND (lockout_until IS NULL OR lockout_until > now()));
