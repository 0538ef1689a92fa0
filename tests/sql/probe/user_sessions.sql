-- name: user_sessions :many
-- Test probe: a user's sessions, oldest first, with their revocation.
-- $1 hospital_id uuid, $2 user_id uuid
-- returns: SessionFactsRow
-- index: sessions_user_live_idx
SELECT id, token_hash, last_seen_at, expires_at, revoked_at, revoked_reason
  FROM sessions
 WHERE hospital_id = $1 AND user_id = $2
 ORDER BY created_at, id;
