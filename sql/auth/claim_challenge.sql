-- name: claim_challenge :one
-- A usable login challenge (unused, unexpired, fewer than 5 wrong codes) with its user's 2FA state, locked
-- for this transaction so that two codes sent at once for one challenge are judged one after the other.
-- $1 token_hash bytea
-- returns: Challenge
-- index: login_challenges_token_hash_key, users_pkey
-- scope: all hospitals (a challenge token names no hospital: its row says which)
SELECT c.id, c.hospital_id, c.user_id, u.is_active,
       u.is_locked AND (u.lockout_until IS NULL OR u.lockout_until > now()) AS is_locked,
       u.two_factor_enabled, u.two_factor_secret, u.two_factor_last_used_step, u.must_change_password
  FROM login_challenges c
  JOIN users u ON u.id = c.user_id AND u.hospital_id = c.hospital_id
 WHERE c.token_hash = $1
   AND c.used_at IS NULL
   AND c.expires_at > now()
   AND c.failed_attempts < 5
   FOR UPDATE OF c;
