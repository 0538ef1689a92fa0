-- Login security: the second step of a two-factor login, and the per-address login rate limit.
--
-- login_challenges holds the short-lived token a client trades, with a TOTP or backup code, for a
-- session. login_rate_limits counts login attempts per client address and minute, shared by every
-- service process (a limit kept in each process's memory would multiply by the number of processes).
-- depends: 0001.create-tenancy

CREATE TABLE login_challenges (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash      bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    hospital_id     uuid        NOT NULL,
    user_id         uuid        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    failed_attempts integer     NOT NULL DEFAULT 0 CHECK (failed_attempts BETWEEN 0 AND 5),
    used_at         timestamptz,
    ip_address      inet,
    CONSTRAINT login_challenges_token_hash_key UNIQUE (token_hash),
    CONSTRAINT login_challenges_user_fkey FOREIGN KEY (hospital_id, user_id)
        REFERENCES users (hospital_id, id) ON DELETE CASCADE,
    CONSTRAINT login_challenges_expiry_check CHECK (expires_at > created_at)
);
COMMENT ON TABLE login_challenges IS
    'Second step of a two-factor login: issued after a right password, valid 5 minutes, single use, dead after 5 wrong codes. Only the SHA-256 of the token is stored. Pruned after expiry.';
COMMENT ON COLUMN login_challenges.failed_attempts IS 'Wrong codes given for this challenge; at 5 it is dead.';

-- The maintenance loop prunes expired challenges.
CREATE INDEX login_challenges_expires_idx ON login_challenges (expires_at);
-- A user's pending challenges end with its sessions (password change, deactivation, role change, 2FA off),
-- and with the user itself (the foreign key's cascade).
CREATE INDEX login_challenges_user_idx ON login_challenges (hospital_id, user_id);

CREATE TABLE login_rate_limits (
    client_address inet        NOT NULL,
    window_start   timestamptz NOT NULL,
    attempts       integer     NOT NULL CHECK (attempts >= 1),
    CONSTRAINT login_rate_limits_pkey PRIMARY KEY (client_address, window_start)
);
COMMENT ON TABLE login_rate_limits IS
    'Login attempts per client address and minute (fixed windows), across every service process: HOSPITAL_ALERTS_LOGIN_RATE_PER_MINUTE. Not tenant data: an attempt names no hospital until its email is read. Pruned after an hour.';

-- The maintenance loop prunes old windows.
CREATE INDEX login_rate_limits_window_idx ON login_rate_limits (window_start);
