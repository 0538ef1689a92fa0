-- name: age_sessions :rows
-- Test probe (a clock moved forward for one user's sessions): every time of the user's sessions moves back.
-- $1 hospital_id uuid, $2 user_id uuid, $3 by interval
-- index: -
UPDATE sessions
   SET created_at = created_at - $3::interval, last_seen_at = last_seen_at - $3::interval, expires_at = expires_at - $3::interval
 WHERE hospital_id = $1 AND user_id = $2;
