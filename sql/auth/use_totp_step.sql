-- name: use_totp_step :rows
-- Spends a TOTP time step: 0 rows when that step or a later one was used already (a replayed code).
-- $1 hospital_id uuid, $2 user_id uuid, $3 step bigint
-- index: users_hospital_id_key
UPDATE users
   SET two_factor_last_used_step = $3
 WHERE hospital_id = $1 AND id = $2
   AND two_factor_enabled
   AND (two_factor_last_used_step IS NULL OR two_factor_last_used_step < $3);
