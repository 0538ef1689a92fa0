-- name: disable_two_factor :rows
-- Turns 2FA off and forgets its secret and backup codes; the last used step stays, so no old code comes back.
-- $1 hospital_id uuid, $2 user_id uuid
-- index: users_hospital_id_key
UPDATE users
   SET two_factor_enabled = false, two_factor_secret = NULL, two_factor_backup_codes = '{}', updated_at = now()
 WHERE hospital_id = $1 AND id = $2 AND two_factor_enabled;
