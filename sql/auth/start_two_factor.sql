-- name: start_two_factor :rows
-- Stores a new, not yet confirmed TOTP secret (encrypted); 0 rows when 2FA is already on.
-- $1 hospital_id uuid, $2 user_id uuid, $3 encrypted_secret bytea
-- index: users_hospital_id_key
UPDATE users
   SET two_factor_secret = $3, two_factor_backup_codes = '{}', updated_at = now()
 WHERE hospital_id = $1 AND id = $2 AND NOT two_factor_enabled;
