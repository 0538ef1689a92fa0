-- name: enable_two_factor :rows
-- Turns 2FA on after a valid code for the pending secret: that code's time step counts as used, and the hashed
-- backup codes are stored. 0 rows when it is already on, no setup is pending, or the step was used already.
-- $1 hospital_id uuid, $2 user_id uuid, $3 used_step bigint, $4 backup_code_hashes text[]
-- index: users_hospital_id_key
UPDATE users
   SET two_factor_enabled = true,
       two_factor_last_used_step = $3,
       two_factor_backup_codes = $4,
       updated_at = now()
 WHERE hospital_id = $1 AND id = $2
   AND NOT two_factor_enabled
   AND two_factor_secret IS NOT NULL
   AND (two_factor_last_used_step IS NULL OR two_factor_last_used_step < $3);
