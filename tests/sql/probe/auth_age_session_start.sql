-- name: auth_age_session_start :rows
-- Test probe (a session opened long ago but used just now): a user's sessions' login time and absolute expiry
-- move back, their last use stays.
-- $1 hospital_id uuid, $2 user_id uuid, $3 by interval
-- index: -
UPDATE sessions
   SET created_at = created_at - $3::interval, expires_at = expires_at - $3::interval
 WHERE hospital_id = $1 AND user_id = $2;
