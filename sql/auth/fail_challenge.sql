-- name: fail_challenge :exec
-- Counts a wrong code against a challenge; at 5 it can no longer be used.
-- $1 hospital_id uuid, $2 challenge_id uuid
-- index: login_challenges_pkey
UPDATE login_challenges
   SET failed_attempts = least(failed_attempts + 1, 5)
 WHERE hospital_id = $1 AND id = $2;
