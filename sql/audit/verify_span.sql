-- name: verify_span :one
-- audit verify: the time range whose rows the seals meeting [$1, $2) (null: unbounded) cover, skipping the
-- seals of months the retention purge dropped (recorded by its audit.purge rows). From -infinity when $1 is
-- null, so that a row inserted before the first seal is checked too. Nulls when there is no seal.
-- $1 from_time timestamptz, $2 to_time timestamptz
-- returns: SpanRow
-- index: audit_seals_sealed_to_idx, audit_logs_hospital_action_time_idx
-- scope: all hospitals (the seals cover every hospital)
WITH purged AS MATERIALIZED (  -- read once (a handful of rows), not once per seal
    SELECT (g.metadata ->> 'from')::timestamptz AS from_time, (g.metadata ->> 'to')::timestamptz AS to_time
      FROM audit_logs g
     WHERE g.hospital_id IS NULL AND g.action = 'audit.purge'
), seals AS (
    SELECT s.seq, s.sealed_from, s.sealed_to
      FROM audit_seals s
     WHERE s.sealed_to > coalesce($1::timestamptz, '-infinity') AND s.sealed_from < coalesce($2::timestamptz, 'infinity')
       AND NOT EXISTS (SELECT 1 FROM purged u WHERE s.sealed_from >= u.from_time AND s.sealed_to <= u.to_time)
)
SELECT CASE WHEN $1::timestamptz IS NULL AND count(*) > 0 THEN '-infinity' ELSE min(s.sealed_from) END AS from_time,
       max(s.sealed_to) AS to_time
  FROM seals s;
