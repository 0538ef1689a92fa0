-- name: use_backup_code :rows
-- Spends a backup code (given as its hash): 0 rows when the user has no such unused code.
-- $1 hospital_id uuid, $2 user_id uuid, $3 code_hash text
-- index: users_hospital_id_key
UPDATE users
   SET two_factor_backup_codes = array_remove(two_factor_backup_codes, $3)
 WHERE hospital_id = $1 AND id = $2
   AND two_factor_enabled
   AND $3 = ANY (two_factor_backup_codes);
