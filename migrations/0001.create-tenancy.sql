-- Tenancy and staff: hospitals and their settings, departments, users, sessions.
--
-- Every tenant table carries hospital_id, and every reference between tenant rows is a
-- composite foreign key (hospital_id, id), so the database itself refuses a user whose
-- department, or a session whose user, belongs to another hospital.

CREATE TABLE hospitals (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    address         text        CHECK (char_length(address) <= 500),
    phone           text        CHECK (char_length(phone) <= 50),
    license_number  text        CHECK (char_length(license_number) <= 50),
    is_active       boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE hospitals IS
    'One row per tenant. Never deleted while anything refers to it (audit rows must outlive staff and alerts).';

CREATE TABLE hospital_settings (
    hospital_id                  uuid        PRIMARY KEY REFERENCES hospitals (id) ON DELETE CASCADE,
    ack_timeout_low_seconds      integer     NOT NULL DEFAULT 1800 CHECK (ack_timeout_low_seconds BETWEEN 5 AND 86400),
    ack_timeout_medium_seconds   integer     NOT NULL DEFAULT 600  CHECK (ack_timeout_medium_seconds BETWEEN 5 AND 86400),
    ack_timeout_high_seconds     integer     NOT NULL DEFAULT 180  CHECK (ack_timeout_high_seconds BETWEEN 5 AND 86400),
    ack_timeout_critical_seconds integer     NOT NULL DEFAULT 60   CHECK (ack_timeout_critical_seconds BETWEEN 5 AND 86400),
    max_escalation_level         integer     NOT NULL DEFAULT 3    CHECK (max_escalation_level BETWEEN 1 AND 10),
    lockout_threshold            integer     NOT NULL DEFAULT 5    CHECK (lockout_threshold BETWEEN 3 AND 20),
    lockout_minutes              integer     NOT NULL DEFAULT 15   CHECK (lockout_minutes BETWEEN 1 AND 1440),
    session_idle_minutes         integer     NOT NULL DEFAULT 15   CHECK (session_idle_minutes BETWEEN 1 AND 480),
    audit_retention_days         integer     NOT NULL DEFAULT 2192 CHECK (audit_retention_days BETWEEN 2192 AND 36500),
    updated_at                   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE hospital_settings IS
    'Policy of one hospital (the settings object of the API), one row per hospital; defaults and ranges are those of API.md. Deleted with its hospital.';
COMMENT ON COLUMN hospital_settings.audit_retention_days IS
    'Days an audit row is kept; at least 2192 (six years, HIPAA).';

CREATE TABLE departments (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    hospital_id uuid        NOT NULL REFERENCES hospitals (id) ON DELETE RESTRICT,
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    code        text        NOT NULL CHECK (code ~ '^[A-Z0-9_-]{1,10}$'),
    is_active   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT departments_hospital_code_key UNIQUE (hospital_id, code),
    CONSTRAINT departments_hospital_id_key UNIQUE (hospital_id, id)
);
COMMENT ON TABLE departments IS
    'Wards and units of a hospital (ER, ICU, CARD). Deactivated, never deleted, once users or alerts refer to them.';
COMMENT ON CONSTRAINT departments_hospital_id_key ON departments IS
    'Target of the composite foreign keys that keep users and alerts in their department''s hospital.';

CREATE TABLE users (
    id                          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    hospital_id                 uuid        NOT NULL REFERENCES hospitals (id) ON DELETE RESTRICT,
    department_id               uuid,
    email                       text        NOT NULL
                                            CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
    email_verified              boolean     NOT NULL DEFAULT false,
    name                        text        NOT NULL CHECK (char_length(name) BETWEEN 2 AND 100),
    role                        text        NOT NULL CHECK (role IN ('operator', 'nurse', 'doctor', 'head_doctor', 'admin')),
    license_number              text        CHECK (char_length(license_number) <= 50),
    specialization              text        CHECK (char_length(specialization) <= 100),
    shift_schedule              jsonb       CHECK (shift_schedule IS NULL OR CASE jsonb_typeof(shift_schedule)
                                                WHEN 'array' THEN jsonb_array_length(shift_schedule) <= 50 ELSE false END),
    -- security
    is_active                   boolean     NOT NULL DEFAULT true,
    is_locked                   boolean     NOT NULL DEFAULT false,
    lockout_until               timestamptz,
    failed_login_attempts       integer     NOT NULL DEFAULT 0 CHECK (failed_login_attempts >= 0),
    lockout_count               integer     NOT NULL DEFAULT 0 CHECK (lockout_count >= 0),
    last_login_at               timestamptz,
    last_login_ip               inet,
    password_hash               text        NOT NULL,
    password_changed_at         timestamptz NOT NULL DEFAULT now(),
    password_expires_at         timestamptz,
    must_change_password        boolean     NOT NULL DEFAULT false,
    -- two-factor authentication
    two_factor_enabled          boolean     NOT NULL DEFAULT false,
    two_factor_secret           bytea,
    two_factor_backup_codes     text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(two_factor_backup_codes) <= 10),
    two_factor_last_used_step   bigint,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_hospital_id_key UNIQUE (hospital_id, id),
    CONSTRAINT users_department_fkey FOREIGN KEY (hospital_id, department_id)
        REFERENCES departments (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT users_two_factor_secret_check CHECK (NOT two_factor_enabled OR two_factor_secret IS NOT NULL),
    CONSTRAINT users_temporary_password_check CHECK (password_expires_at IS NULL OR must_change_password)
);
COMMENT ON TABLE users IS
    'Staff accounts. Email is unique across all hospitals (login names no hospital). Deactivated, never deleted: audit rows refer to them.';
COMMENT ON COLUMN users.email IS 'Stored trimmed and lower-case; compared case-insensitively by storing it so.';
COMMENT ON COLUMN users.shift_schedule IS 'Weekly shifts [{day 0..6 (Monday 0), start "HH:MM", end "HH:MM"}], at most 50; null when not set.';
COMMENT ON COLUMN users.is_locked IS
    'True from an automatic lockout until a completed login or an admin unlock; the lock is in force while lockout_until is in the future (or null: until an admin unlocks).';
COMMENT ON COLUMN users.lockout_count IS 'Lockouts since the last completed login or unlock; each doubles the next lock''s length.';
COMMENT ON COLUMN users.password_hash IS 'argon2id PHC string; never leaves the database through the API.';
COMMENT ON COLUMN users.password_expires_at IS 'Set only for a temporary password issued by an admin (72 hours).';
COMMENT ON COLUMN users.two_factor_secret IS
    'TOTP secret encrypted with AES-GCM (nonce || ciphertext) under HOSPITAL_ALERTS_SECRET_KEY; present but not enabled while setup awaits confirmation.';
COMMENT ON COLUMN users.two_factor_backup_codes IS 'Hashes of the unused backup codes; a used code is removed.';
COMMENT ON COLUMN users.two_factor_last_used_step IS 'Last accepted TOTP time step: no code of this step or an earlier one is accepted again.';

-- GET /users: one hospital's users ordered by name, then id; each filter has its own prefix.
CREATE INDEX users_hospital_name_idx ON users (hospital_id, name, id);
CREATE INDEX users_hospital_role_name_idx ON users (hospital_id, role, name, id);
CREATE INDEX users_hospital_department_name_idx ON users (hospital_id, department_id, name, id);
CREATE INDEX users_hospital_active_name_idx ON users (hospital_id, is_active, name, id);

CREATE TABLE sessions (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash     bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    hospital_id    uuid        NOT NULL,
    user_id        uuid        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text        CHECK (revoked_reason IN ('logout', 'password_change', 'deactivation', 'role_change', '2fa_disable', 'admin')),
    ip_address     inet,
    user_agent     text        CHECK (char_length(user_agent) <= 512),
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT sessions_user_fkey FOREIGN KEY (hospital_id, user_id)
        REFERENCES users (hospital_id, id) ON DELETE CASCADE,
    CONSTRAINT sessions_expiry_check CHECK (expires_at > created_at),
    CONSTRAINT sessions_revoked_check CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
COMMENT ON TABLE sessions IS
    'Server-side login sessions. Only the SHA-256 of the bearer token is stored. Ephemeral: deleted with the user, pruned after expiry.';
COMMENT ON COLUMN sessions.expires_at IS 'Absolute expiry (12 hours after login); the idle timeout comes from hospital_settings.session_idle_minutes.';
COMMENT ON COLUMN sessions.last_seen_at IS 'Written at most once a minute per session, to keep authentication read-only.';

-- Revoke every live session of one user (logout elsewhere, deactivation, role change).
CREATE INDEX sessions_user_live_idx ON sessions (hospital_id, user_id) WHERE revoked_at IS NULL;
-- Prune expired sessions (maintenance loop).
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
