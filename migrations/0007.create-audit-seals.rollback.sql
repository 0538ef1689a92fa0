-- Undo 0007.create-audit-seals: the filter indexes as in 0002, no purge, no exports, no seals, no triggers,
-- and 0002's partition upkeep.

SET lock_timeout = '5s';

DROP INDEX audit_logs_hospital_failure_time_idx;
DROP INDEX audit_logs_hospital_resource_id_time_idx;
DROP INDEX audit_logs_hospital_resource_time_idx;
CREATE INDEX audit_logs_hospital_resource_time_idx ON audit_logs (hospital_id, resource, resource_id, "timestamp" DESC, id DESC);

DROP FUNCTION audit_logs_purge_expired(timestamptz, timestamptz);
DROP FUNCTION audit_export_rows(uuid, uuid);
DROP TABLE audit_exports;
DROP INDEX audit_logs_time_brin_idx;
DROP TABLE audit_seal_parts;
DROP TABLE audit_seals;
DROP FUNCTION audit_seal_hash(bytea, bigint, timestamptz, timestamptz, bigint, timestamptz, bytea);
DROP FUNCTION audit_part_entry(uuid, integer, bytea);
DROP FUNCTION audit_part_hash(uuid[], bytea[]);
DROP FUNCTION audit_row_digest(uuid, uuid, uuid, text, text, text, text, inet, text, uuid, jsonb, timestamptz, timestamptz);

DROP TRIGGER audit_logs_append_only ON audit_logs;
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_logs'::regclass LOOP
        EXECUTE format('DROP TRIGGER audit_logs_no_truncate ON %s', part);
    END LOOP;
END $$;
DROP TRIGGER audit_logs_no_truncate ON audit_logs;
DROP FUNCTION audit_logs_refuse_change();

-- 0002's partition upkeep.
CREATE OR REPLACE FUNCTION audit_logs_ensure_partitions(first_month date, months integer)
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
