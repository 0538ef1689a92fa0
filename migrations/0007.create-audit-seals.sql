-- Tamper evidence, exports and retention for the audit trail.
--
-- 1. Append-only in the database itself: triggers refuse UPDATE, DELETE and TRUNCATE on audit_logs and its
--    partitions. The one exception is audit_logs_ensure_partitions() moving rows out of the default
--    partition into a new month (same rows, same values); whole months past retention leave by DROP.
-- 2. Sealed batches. A background loop seals the rows of a closed time window [sealed_from, sealed_to): per
--    hospital it stores each row's id and SHA-256 digest in order (audit_seal_parts), and the seal hashes its
--    parts with the previous seal's hash (audit_seals), so the seals form one chain. A row changed, deleted or
--    inserted behind the service's back, even with the triggers disabled, no longer matches its seal; a seal
--    changed no longer matches the chain. Sealing reads committed rows only: the write path takes no lock.
-- 3. audit_exports records each export request with its filters; the download reads them from there.
-- 4. audit_logs_purge_expired() drops a month's partition once every row in it is past retention_until.
-- 5. Indexes so that every filter of GET /audit/logs is served by one: by resource, by resource id, failures;
--    a BRIN index on "timestamp" for the sealer's windows (the rows of a month arrive in time order).
-- depends: 0006.create-user-view

SET lock_timeout = '5s';

-- --- 1. append-only ----------------------------------------------------------------------------------------

CREATE FUNCTION audit_logs_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The partition upkeep moves rows out of the default partition (delete, then the same row inserted into
    -- the new month's partition); it says so in a transaction-local setting. Nothing else changes a row.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_logs_default'
       AND current_setting('hospital_alerts.audit_partition_move', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Rows leave only when their month''s partition is past retention (audit_logs_purge_expired).';
END;
$$;
COMMENT ON FUNCTION audit_logs_refuse_change() IS
    'Trigger: refuses UPDATE, DELETE and TRUNCATE of audit rows (and of seals). Disabling it is detected by the seals.';

CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
-- TRUNCATE triggers are per table: the parent's does not fire when a partition is truncated by name.
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change();
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_logs'::regclass LOOP
        EXECUTE format('CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON %s
                        FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change()', part);
    END LOOP;
END $$;

-- The partition upkeep, as in 0002, plus: the move out of the default partition announces itself to the
-- append-only trigger, and each new partition gets its TRUNCATE trigger.
CREATE OR REPLACE FUNCTION audit_logs_ensure_partitions(first_month date, months integer)
RETURNS integer
LANGUAGE plpgsql
SET timezone TO 'UTC'
-- Creating a partition locks audit_logs: rather than queue behind a long reader (and make every audit write
-- queue behind it), give up after 2 s; the maintenance loop tries again a minute later, months ahead.
SET lock_timeout TO '2s'
AS $$
DECLARE
    month_start timestamptz;
    month_end timestamptz;
    partition_name text;
    created integer := 0;
BEGIN
    IF months < 1 OR months > 1200 THEN
        RAISE EXCEPTION 'months must be between 1 and 1200, got %', months;
    END IF;
    -- One process at a time (every serve process runs the maintenance loop); the others skip this pass.
    IF NOT pg_try_advisory_xact_lock(hashtext('hospital_alerts.audit_partitions')) THEN
        RETURN 0;
    END IF;
    FOR i IN 0 .. months - 1 LOOP
        month_start := date_trunc('month', first_month::timestamp) + make_interval(months => i);
        month_end := date_trunc('month', first_month::timestamp) + make_interval(months => i + 1);
        partition_name := 'audit_logs_p' || to_char(month_start, 'YYYYMM');
        CONTINUE WHEN to_regclass(partition_name) IS NOT NULL;
        IF EXISTS (SELECT 1 FROM audit_logs_default WHERE "timestamp" >= month_start AND "timestamp" < month_end) THEN
            PERFORM set_config('hospital_alerts.audit_partition_move', 'on', true);
            EXECUTE 'CREATE TEMP TABLE audit_logs_moving (LIKE audit_logs) ON COMMIT DROP';
            EXECUTE 'WITH moved AS (DELETE FROM audit_logs_default WHERE "timestamp" >= $1 AND "timestamp" < $2 RETURNING *)
                     INSERT INTO audit_logs_moving SELECT * FROM moved' USING month_start, month_end;
            PERFORM set_config('hospital_alerts.audit_partition_move', 'off', true);
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
        EXECUTE format('CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change()', partition_name);
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;

-- --- 2. seals ----------------------------------------------------------------------------------------------

CREATE FUNCTION audit_row_digest(
    id uuid, user_id uuid, hospital_id uuid, action text, resource text, resource_id text, outcome text,
    ip_address inet, user_agent text, session_id uuid, metadata jsonb, "timestamp" timestamptz,
    retention_until timestamptz
) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
-- Every column as one record's text form: each value's text, quoted where it needs to be, nothing for null
-- and "" for an empty string, so a fixed column list reads back one way only.
-- Times as seconds since the epoch (exact numerics), so the digest depends on no session setting (time
-- zone, date style). The columns are passed one by one, not as the row (which costs a tuple per row), so the
-- planner inlines the expression; the record's text is the cheapest canonical form PostgreSQL writes
-- (json_build_array costs a third more per row).
RETURN sha256(convert_to(ROW(
    id, user_id, hospital_id, action, resource, resource_id, outcome, ip_address, user_agent, session_id, metadata,
    extract(epoch FROM "timestamp"), extract(epoch FROM retention_until))::text, 'UTF8'));
COMMENT ON FUNCTION audit_row_digest(uuid, uuid, uuid, text, text, text, text, inet, text, uuid, jsonb, timestamptz, timestamptz) IS
    'SHA-256 of one audit row (every column, in the table''s order). Sealed per row; recomputed by verification.';

CREATE FUNCTION audit_part_hash(row_ids uuid[], row_digests bytea[]) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT sha256(coalesce(string_agg(uuid_send(r.id) || r.digest, ''::bytea ORDER BY r.ord), ''::bytea))
          FROM unnest(row_ids, row_digests) WITH ORDINALITY AS r(id, digest, ord));
COMMENT ON FUNCTION audit_part_hash(uuid[], bytea[]) IS
    'SHA-256 over (id, digest) of each row of one hospital in one seal, in ("timestamp", id) order.';

CREATE FUNCTION audit_part_entry(hospital_id uuid, row_count integer, part_hash bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(uuid_send(hospital_id), '\x00000000000000000000000000000000'::bytea) || int4send(row_count) || part_hash;
COMMENT ON FUNCTION audit_part_entry(uuid, integer, bytea) IS
    'What a seal hashes of each of its parts: hospital (zeros for rows with no hospital), row count, part hash.';

CREATE FUNCTION audit_seal_hash(prev_hash bytea, seq bigint, sealed_from timestamptz, sealed_to timestamptz,
                                row_count bigint, kept_until timestamptz, part_entries bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN sha256(prev_hash || int8send(seq)
              || int8send((extract(epoch FROM sealed_from) * 1000000)::bigint)
              || int8send((extract(epoch FROM sealed_to) * 1000000)::bigint)
              || int8send(row_count)
              || int8send(coalesce((extract(epoch FROM kept_until) * 1000000)::bigint, 0))
              || part_entries);
COMMENT ON FUNCTION audit_seal_hash(bytea, bigint, timestamptz, timestamptz, bigint, timestamptz, bytea) IS
    'A seal''s hash: the previous seal''s hash, its number, window, row count and retention, and its parts'' entries in hospital order (no hospital first).';

CREATE TABLE audit_seals (
    seq         bigint      PRIMARY KEY CHECK (seq >= 1),
    sealed_from timestamptz NOT NULL,
    sealed_to   timestamptz NOT NULL,
    row_count   bigint      NOT NULL CHECK (row_count >= 0),
    kept_until  timestamptz,
    prev_hash   bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    seal_hash   bytea       NOT NULL CHECK (octet_length(seal_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_seals_window_check CHECK (sealed_to > sealed_from),
    CONSTRAINT audit_seals_kept_check CHECK ((row_count = 0) = (kept_until IS NULL)),
    -- A seal never spans two months, so a purged month takes whole seals with it.
    CONSTRAINT audit_seals_one_month_check CHECK (
        date_trunc('month', sealed_from, 'UTC') = date_trunc('month', sealed_to - interval '1 microsecond', 'UTC'))
);
COMMENT ON TABLE audit_seals IS
    'The audit chain: seal n covers every audit row with sealed_from <= "timestamp" < sealed_to, and hashes seal n-1. Append-only.';
COMMENT ON COLUMN audit_seals.kept_until IS
    'The latest retention_until of the seal''s rows (null for an empty seal), in its hash: after it, the rows may lawfully be gone (purged), and verification no longer asks for them. Not read from the log, so no forged row can excuse a deletion.';
COMMENT ON COLUMN audit_seals.prev_hash IS 'seal_hash of seal seq - 1; 32 zero bytes for the first seal.';
COMMENT ON COLUMN audit_seals.seal_hash IS
    'audit_seal_hash(prev_hash, seq, sealed_from, sealed_to, row_count, kept_until, its parts'' entries). Print the latest (hospital-alerts audit seal) and keep it outside the database.';

CREATE TABLE audit_seal_parts (
    seq         bigint  NOT NULL REFERENCES audit_seals (seq) ON DELETE RESTRICT,
    hospital_id uuid    REFERENCES hospitals (id) ON DELETE RESTRICT,
    row_count   integer NOT NULL CHECK (row_count >= 1),
    row_ids     uuid[]  NOT NULL,
    row_digests bytea[] NOT NULL,
    part_hash   bytea   NOT NULL CHECK (octet_length(part_hash) = 32),
    CONSTRAINT audit_seal_parts_key UNIQUE NULLS NOT DISTINCT (seq, hospital_id),
    CONSTRAINT audit_seal_parts_rows_check CHECK (
        cardinality(row_ids) = row_count AND cardinality(row_digests) = row_count)
);
COMMENT ON TABLE audit_seal_parts IS
    'One hospital''s rows in one seal: their ids and digests in ("timestamp", id) order. hospital_id is null for rows with no hospital. Append-only.';
-- audit verify --hospital, and the compliance report's integrity: one hospital's parts in chain order.
CREATE INDEX audit_seal_parts_hospital_idx ON audit_seal_parts (hospital_id, seq);
-- The seals of a period (the compliance report's integrity): windows only move forward with seq.
CREATE INDEX audit_seals_sealed_to_idx ON audit_seals (sealed_to);

CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change();
CREATE TRIGGER audit_seal_parts_append_only BEFORE UPDATE OR DELETE ON audit_seal_parts
    FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
CREATE TRIGGER audit_seal_parts_no_truncate BEFORE TRUNCATE ON audit_seal_parts
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change();

-- The sealer's window: rows of a time range, across hospitals. Rows arrive in time order, so a BRIN index
-- (a few pages for millions of rows) finds the recent ones.
CREATE INDEX audit_logs_time_brin_idx ON audit_logs USING brin ("timestamp");

-- --- 3. exports --------------------------------------------------------------------------------------------

CREATE TABLE audit_exports (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    hospital_id  uuid        NOT NULL REFERENCES hospitals (id) ON DELETE RESTRICT,
    requested_by uuid        NOT NULL,
    format       text        NOT NULL CHECK (format IN ('csv', 'ndjson')),
    from_time    timestamptz NOT NULL,
    to_time      timestamptz NOT NULL,
    user_id      uuid,
    action       text,
    resource     text,
    resource_id  text,
    outcome      text        CHECK (outcome IN ('success', 'failure')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL DEFAULT now() + interval '1 hour',
    CONSTRAINT audit_exports_hospital_id_key UNIQUE (hospital_id, id),
    CONSTRAINT audit_exports_requested_by_fkey FOREIGN KEY (hospital_id, requested_by)
        REFERENCES users (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT audit_exports_window_check CHECK (to_time > from_time),
    CONSTRAINT audit_exports_expiry_check CHECK (expires_at > created_at)
);
COMMENT ON TABLE audit_exports IS
    'Export requests (POST /audit/exports): the range and filters the download reads, valid until expires_at. The request and each download are also audited.';
COMMENT ON COLUMN audit_exports.user_id IS 'Filter: only rows of this user (null: any); likewise action, resource, resource_id, outcome.';

-- The rows of one export, as GET /audit/logs filters them; inlined by the planner into the COPY statements of
-- sql/audit/export_*.sql, which name the export through transaction-local settings (COPY takes no parameters).
-- The range is read by scalar subqueries, which the planner evaluates first: they become the bounds of the
-- scan of the hospital's time index and prune the months outside it, so the rows stream in index order.
CREATE FUNCTION audit_export_rows(export_hospital_id uuid, export_id uuid) RETURNS SETOF audit_logs
LANGUAGE sql STABLE
AS $$
SELECT a.id, a.user_id, a.hospital_id, a.action, a.resource, a.resource_id, a.outcome, a.ip_address,
       a.user_agent, a.session_id, a.metadata, a."timestamp", a.retention_until
  FROM audit_logs a
  JOIN audit_exports e ON e.hospital_id = a.hospital_id
 WHERE e.hospital_id = export_hospital_id AND e.id = export_id
   AND a.hospital_id = export_hospital_id
   AND a."timestamp" >= (SELECT x.from_time FROM audit_exports x WHERE x.hospital_id = export_hospital_id AND x.id = export_id)
   AND a."timestamp" < (SELECT x.to_time FROM audit_exports x WHERE x.hospital_id = export_hospital_id AND x.id = export_id)
   AND (e.user_id IS NULL OR a.user_id = e.user_id)
   AND (e.action IS NULL OR a.action = e.action)
   AND (e.resource IS NULL OR a.resource = e.resource)
   AND (e.resource_id IS NULL OR a.resource_id = e.resource_id)
   AND (e.outcome IS NULL OR a.outcome = e.outcome)
$$;
COMMENT ON FUNCTION audit_export_rows(uuid, uuid) IS
    'The audit rows one export request covers (its hospital, range and filters), in no particular order.';

-- --- 4. retention ------------------------------------------------------------------------------------------

CREATE FUNCTION audit_logs_purge_expired(as_of timestamptz, sealed_to timestamptz)
RETURNS TABLE (partition_name text, range_from timestamptz, range_to timestamptz, row_count bigint)
LANGUAGE plpgsql
SET timezone TO 'UTC'
SET lock_timeout TO '2s'  -- as audit_logs_ensure_partitions: never make audit writes queue behind a drop
AS $$
-- Drops each monthly partition whose every row is past retention_until at as_of, oldest first. A month is
-- only dropped once it is wholly sealed (its end <= sealed_to), so the chain records what it held. Returns
-- what it dropped; the caller audits it in the same transaction.
DECLARE
    part record;
    still_kept boolean;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('hospital_alerts.audit_partitions')) THEN
        RETURN;  -- another process is at it
    END IF;
    FOR part IN
        SELECT c.relname::text AS name,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)'))::text[] AS bounds
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'audit_logs'::regclass AND c.relname ~ '^audit_logs_p[0-9]{6}$'
         ORDER BY c.relname
    LOOP
        range_from := part.bounds[1]::timestamptz;
        range_to := part.bounds[2]::timestamptz;
        CONTINUE WHEN range_to > as_of OR sealed_to IS NULL OR range_to > sealed_to;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE retention_until > $1)', part.name)
           INTO still_kept USING as_of;
        CONTINUE WHEN still_kept;
        EXECUTE format('SELECT count(*) FROM %I', part.name) INTO row_count;
        EXECUTE format('DROP TABLE %I', part.name);
        partition_name := part.name;
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION audit_logs_purge_expired(timestamptz, timestamptz) IS
    'Retention purge: drops monthly partitions whose every row is past retention_until at as_of and that are wholly sealed.';

-- --- 5. indexes for the filters of GET /audit/logs ---------------------------------------------------------

-- resource alone needs its own order by time; resourceId alone (or with resource) is served by the second.
DROP INDEX audit_logs_hospital_resource_time_idx;
CREATE INDEX audit_logs_hospital_resource_time_idx ON audit_logs (hospital_id, resource, "timestamp" DESC, id DESC);
CREATE INDEX audit_logs_hospital_resource_id_time_idx ON audit_logs (hospital_id, resource_id, "timestamp" DESC, id DESC);
-- outcome=failure: a small partial index (failures are few, successes are most rows and use the time index).
CREATE INDEX audit_logs_hospital_failure_time_idx ON audit_logs (hospital_id, "timestamp" DESC, id DESC)
    WHERE outcome = 'failure';
