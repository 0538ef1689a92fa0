-- The audit trail (HIPAA): one row per mutation, login attempt, refused action and read of audit data.
--
-- Partitioned by month on "timestamp" so that rows past their retention date leave by dropping a
-- whole partition, never by a DELETE. audit_logs_ensure_partitions() creates the monthly partitions;
-- this migration creates the current month and the next three, the maintenance loop keeps ahead.
-- audit_logs_default catches a row whose month has no partition yet, so an audit write never fails.
-- depends: 0001.create-tenancy

CREATE TABLE audit_logs (
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id         uuid,
    hospital_id     uuid        REFERENCES hospitals (id) ON DELETE RESTRICT,
    action          text        NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$' AND char_length(action) <= 64),
    resource        text        CHECK (resource ~ '^[a-z][a-z0-9_]*$' AND char_length(resource) <= 64),
    resource_id     text        CHECK (char_length(resource_id) <= 200),
    outcome         text        NOT NULL CHECK (outcome IN ('success', 'failure')),
    ip_address      inet,
    user_agent      text        CHECK (char_length(user_agent) <= 512),
    session_id      uuid,
    metadata        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    "timestamp"     timestamptz NOT NULL DEFAULT now(),
    retention_until timestamptz NOT NULL,
    CONSTRAINT audit_logs_pkey PRIMARY KEY (id, "timestamp"),
    CONSTRAINT audit_logs_user_fkey FOREIGN KEY (hospital_id, user_id)
        REFERENCES users (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT audit_logs_user_hospital_check CHECK (user_id IS NULL OR hospital_id IS NOT NULL),
    CONSTRAINT audit_logs_retention_check CHECK (retention_until >= "timestamp" + interval '2192 days')
) PARTITION BY RANGE ("timestamp");
COMMENT ON TABLE audit_logs IS
    'Audit trail: the service only ever appends to it. Partitioned by month; rows leave only when their whole partition is past retention_until. hospital_id and user_id are null for a failed login with an unknown email.';
COMMENT ON COLUMN audit_logs.action IS 'Dotted action name (auth.login, alert.acknowledge, ...); the vocabulary is documented in docs/api.md.';
COMMENT ON COLUMN audit_logs.session_id IS 'sessions.id of the caller; no foreign key because sessions are pruned long before audit rows.';
COMMENT ON COLUMN audit_logs.metadata IS 'Context of the action (changed fields, filters); never a password, token, secret or code.';
COMMENT ON COLUMN audit_logs.retention_until IS '"timestamp" plus the hospital''s audit_retention_days; never less than six years.';
COMMENT ON CONSTRAINT audit_logs_user_fkey ON audit_logs IS
    'A user with audit history cannot be deleted (ON DELETE RESTRICT): who did what must outlive the account.';

CREATE TABLE audit_logs_default PARTITION OF audit_logs DEFAULT;
COMMENT ON TABLE audit_logs_default IS
    'Safety net for rows whose month has no partition yet; the maintenance loop keeps it empty by creating partitions ahead.';

-- GET /audit/logs and exports: one hospital, newest first, keyset on ("timestamp", id).
CREATE INDEX audit_logs_hospital_time_idx ON audit_logs (hospital_id, "timestamp" DESC, id DESC);
-- ... filtered by userId.
CREATE INDEX audit_logs_hospital_user_time_idx ON audit_logs (hospital_id, user_id, "timestamp" DESC, id DESC);
-- ... filtered by action (and the compliance report's counts per action).
CREATE INDEX audit_logs_hospital_action_time_idx ON audit_logs (hospital_id, action, "timestamp" DESC, id DESC);
-- ... filtered by resource and resourceId.
CREATE INDEX audit_logs_hospital_resource_time_idx ON audit_logs (hospital_id, resource, resource_id, "timestamp" DESC, id DESC);
-- Retention purge: the latest retention_until of a partition.
CREATE INDEX audit_logs_retention_idx ON audit_logs (retention_until);

CREATE FUNCTION audit_logs_ensure_partitions(first_month date, months integer)
RETURNS integer
LANGUAGE plpgsql
-- Month boundaries are UTC whatever the session's time zone.
SET timezone TO 'UTC'
AS $$
-- Creates the monthly partitions audit_logs_pYYYYMM for `months` months from the month of
-- first_month that do not exist yet; returns how many it created. Rows that landed in
-- audit_logs_default for such a month (the maintenance loop fell behind) are moved into the new
-- partition in the same transaction: PostgreSQL refuses a partition whose rows sit in the default.
DECLARE
    month_start timestamptz;
    month_end timestamptz;
    partition_name text;
    created integer := 0;
BEGIN
    IF months < 1 OR months > 1200 THEN
        RAISE EXCEPTION 'months must be between 1 and 1200, got %', months;
    END IF;
    FOR i IN 0 .. months - 1 LOOP
        month_start := date_trunc('month', first_month::timestamp) + make_interval(months => i);
        month_end := date_trunc('month', first_month::timestamp) + make_interval(months => i + 1);
        partition_name := 'audit_logs_p' || to_char(month_start, 'YYYYMM');
        CONTINUE WHEN to_regclass(partition_name) IS NOT NULL;
        IF EXISTS (SELECT 1 FROM audit_logs_default WHERE "timestamp" >= month_start AND "timestamp" < month_end) THEN
            EXECUTE 'CREATE TEMP TABLE audit_logs_moving (LIKE audit_logs) ON COMMIT DROP';
            EXECUTE 'WITH moved AS (DELETE FROM audit_logs_default WHERE "timestamp" >= $1 AND "timestamp" < $2 RETURNING *)
                     INSERT INTO audit_logs_moving SELECT * FROM moved' USING month_start, month_end;
            EXECUTE format('CREATE TABLE %I PARTITION OF audit_logs FOR VALUES FROM (%L) TO (%L)',
                           partition_name, month_start, month_end);
            EXECUTE 'INSERT INTO audit_logs SELECT * FROM audit_logs_moving';
            EXECUTE 'DROP TABLE audit_logs_moving';
        ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF audit_logs FOR VALUES FROM (%L) TO (%L)',
                           partition_name, month_start, month_end);
        END IF;
        EXECUTE format('COMMENT ON TABLE %I IS %L', partition_name,
                       'audit_logs rows of ' || to_char(month_start, 'YYYY-MM') || ' (UTC).');
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;
COMMENT ON FUNCTION audit_logs_ensure_partitions(date, integer) IS
    'Creates missing monthly partitions of audit_logs; called by this migration and by the maintenance loop.';

DO $$ BEGIN PERFORM audit_logs_ensure_partitions((now() AT TIME ZONE 'UTC')::date, 4); END $$;
