-- name: create_challenge :exec
-- Issues the second step of a two-factor login after a right password: valid 5 minutes, single use.
-- $1 hospital_id uuid, $2 user_id uuid, $3 token_hash bytea, $4 ip_address inet
-- index: -
INSERT INTO login_challenges (hospital_id, user_id, token_hash, expires_at, ip_address)
VALUES ($1, $2, $3, now() + interval '5 minutes', $4);
