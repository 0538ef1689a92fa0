-- name: authenticate :one
-- The live session of a bearer token's SHA-256, with what a request needs of its user: no row when the token is
-- unknown, revoked, past its absolute expiry, idle longer than the hospital's session_idle_minutes, or its user
-- is inactive. last_seen_at is refreshed only when it is older than a minute (half the idle timeout when that
-- is shorter), so almost every request only reads.
-- $1 token_hash bytea
-- returns: Principal
-- index: sessions_token_hash_key, users_pkey, hospital_settings_pkey
-- scope: all hospitals (a bearer token names no hospital: its session row says which)
WITH live AS (
    SELECT s.id AS session_id, s.user_id, s.hospital_id, u.role, u.department_id, u.must_change_password,
           s.expires_at, s.last_seen_at, h.session_idle_minutes
      FROM sessions s
      JOIN users u ON u.id = s.user_id AND u.hospital_id = s.hospital_id
      JOIN hospital_settings h ON h.hospital_id = s.hospital_id
     WHERE s.token_hash = $1
       AND s.revoked_at IS NULL
       AND s.expires_at > now()
       AND s.last_seen_at > now() - make_interval(mins => h.session_idle_minutes)
       AND u.is_active
), touched AS (
    UPDATE sessions s
       SET last_seen_at = now()
      FROM live
     WHERE s.id = live.session_id
       AND live.last_seen_at <= now() - least(interval '1 minute', make_interval(mins => live.session_idle_minutes) / 2)
    RETURNING s.id
)
SELECT session_id, user_id, hospital_id, role, department_id, must_change_password, expires_at
  FROM live;
