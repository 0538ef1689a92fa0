-- name: revoke_user_sessions :rows
-- Revokes every live session of a user but the one given (null: all of them), and ends the user's pending 2FA
-- logins (a challenge issued for the old password or role must not open a session afterwards): password change,
-- 2FA disable (the other sessions), deactivation and role change (all). Counts the sessions revoked.
-- $1 hospital_id uuid, $2 user_id uuid, $3 reason text, $4 keep_session_id uuid
-- index: sessions_user_live_idx, login_challenges_user_idx
WITH ended_challenges AS (
    DELETE FROM login_challenges
     WHERE hospital_id = $1 AND user_id = $2
)
UPDATE sessions
   SET revoked_at = now(), revoked_reason = $3
 WHERE hospital_id = $1 AND user_id = $2 AND revoked_at IS NULL
   AND ($4::uuid IS NULL OR id <> $4);
