-- name: create_session :one
-- Opens a session for a completed login: absolute expiry 12 hours from now (the idle timeout is applied when
-- the token is used). Only the token's SHA-256 is stored.
-- $1 hospital_id uuid, $2 user_id uuid, $3 token_hash bytea, $4 ip_address inet, $5 user_agent text
-- returns: NewSession
-- index: -
INSERT INTO sessions (hospital_id, user_id, token_hash, expires_at, ip_address, user_agent)
VALUES ($1, $2, $3, now() + interval '12 hours', $4, $5)
RETURNING id, expires_at;
