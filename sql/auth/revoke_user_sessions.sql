-- name: revoke_user_sessions :rows
-- Revokes every live session of a user but the one given (null: all of them): password change, 2FA disable
-- (the others), deactivation and role change (all).
-- $1 hospital_id uuid, $2 user_id uuid, $3 reason text, $4 keep_session_id uuid
-- index: sessions_user_live_idx
UPDATE sessions
   SET revoked_at = now(), revoked_reason = $3
 WHERE hospital_id = $1 AND user_id = $2 AND revoked_at IS NULL
   AND ($4::uuid IS NULL OR id <> $4);
