-- name: register_failure :one
-- Counts one failed credential (wrong password or 2FA code) toward lockout: at the hospital's lockout_threshold
-- the account locks for lockout_minutes, doubled for each lockout since the last completed login or unlock
-- (the doubling stops growing after 16), and the count starts again at zero. No row while a lock is in force:
-- attempts during a lock are audited by the caller but neither counted nor extend it.
-- $1 hospital_id uuid, $2 user_id uuid
-- returns: FailureCount
-- index: users_hospital_id_key, hospital_settings_pkey
UPDATE users u
   SET failed_login_attempts = CASE WHEN u.failed_login_attempts + 1 >= s.lockout_threshold
                                    THEN 0 ELSE u.failed_login_attempts + 1 END,
       is_locked = u.is_locked OR u.failed_login_attempts + 1 >= s.lockout_threshold,
       lockout_until = CASE WHEN u.failed_login_attempts + 1 >= s.lockout_threshold
                            THEN now() + make_interval(mins => s.lockout_minutes) * (2 ^ least(u.lockout_count, 16))
                            ELSE u.lockout_until END,
       lockout_count = u.lockout_count + CASE WHEN u.failed_login_attempts + 1 >= s.lockout_threshold THEN 1 ELSE 0 END
  FROM hospital_settings s
 WHERE u.hospital_id = $1 AND u.id = $2
   AND s.hospital_id = $1
   AND NOT (u.is_locked AND (u.lockout_until IS NULL OR u.lockout_until > now()))
RETURNING u.failed_login_attempts = 0 AS locked, u.failed_login_attempts, u.lockout_until, u.lockout_count;
