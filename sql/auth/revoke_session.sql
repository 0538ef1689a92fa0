-- name: revoke_session :rows
-- Revokes one session (logout); 0 rows when it was already revoked.
-- $1 hospital_id uuid, $2 session_id uuid, $3 reason text
-- index: sessions_pkey
UPDATE sessions
   SET revoked_at = now(), revoked_reason = $3
 WHERE hospital_id = $1 AND id = $2 AND revoked_at IS NULL;
