-- name: use_challenge :rows
-- Spends a challenge on a completed login; 0 rows when it was spent already.
-- $1 hospital_id uuid, $2 challenge_id uuid
-- index: login_challenges_pkey
UPDATE login_challenges
   SET used_at = now()
 WHERE hospital_id = $1 AND id = $2 AND used_at IS NULL;
