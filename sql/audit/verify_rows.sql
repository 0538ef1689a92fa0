-- name: verify_rows :one
-- audit verify, part 2: the rows. Recomputes the digest of every row of hospital $1 (null: every hospital)
-- that the seals meeting [$2, $3) cover, and compares rows and seals both ways: a row whose digest differs was
-- changed, a sealed row that is gone was deleted, a row no seal lists was inserted behind the service's back
-- (with no $2, every row older than the chain's head is checked, also before the first seal). Seals of a month
-- the retention purge dropped (recorded by its audit.purge row) are skipped. Names the first bad row in time
-- order, and counts the rows not sealed yet.
-- $1 hospital_id uuid, $2 from_time timestamptz, $3 to_time timestamptz
-- returns: RowCheckRow
-- index: audit_seals_sealed_to_idx, audit_seal_parts_key, audit_logs_hospital_time_idx, audit_logs_hospital_action_time_idx
-- scope: all hospitals (the command line verifies every hospital's rows, or one's)
WITH purged AS (
    SELECT (g.metadata ->> 'from')::timestamptz AS from_time, (g.metadata ->> 'to')::timestamptz AS to_time
      FROM audit_logs g
     WHERE g.hospital_id IS NULL AND g.action = 'audit.purge'
), seals AS (
    SELECT s.seq, s.sealed_from, s.sealed_to
      FROM audit_seals s
     WHERE s.sealed_to > coalesce($2::timestamptz, '-infinity') AND s.sealed_from < coalesce($3::timestamptz, 'infinity')
       AND NOT EXISTS (SELECT 1 FROM purged u WHERE s.sealed_from >= u.from_time AND s.sealed_to <= u.to_time)
), span AS (
    SELECT CASE WHEN $2::timestamptz IS NULL THEN '-infinity' ELSE min(s.sealed_from) END AS from_time,
           max(s.sealed_to) AS to_time
      FROM seals s
), expected AS (
    SELECT e.id, e.digest, s.seq, s.sealed_from
      FROM seals s
      JOIN audit_seal_parts p ON p.seq = s.seq
     CROSS JOIN LATERAL unnest(p.row_ids, p.row_digests) AS e(id, digest)
     WHERE $1::uuid IS NULL OR p.hospital_id = $1
), actual AS (
    SELECT a.id, a."timestamp", audit_row_digest(a) AS digest
      FROM audit_logs a
     WHERE ($1::uuid IS NULL OR a.hospital_id = $1)
       AND a."timestamp" >= (SELECT span.from_time FROM span)
       AND a."timestamp" < (SELECT span.to_time FROM span)
), compared AS (
    SELECT coalesce(x.id, e.id) AS id, coalesce(x."timestamp", e.sealed_from) AS at, e.seq,
           CASE
               WHEN x.id IS NULL THEN 'deleted'
               WHEN e.id IS NULL THEN 'inserted'
               WHEN x.digest <> e.digest THEN 'changed'
           END AS problem
      FROM actual x
      FULL JOIN expected e ON e.id = x.id
)
SELECT (SELECT count(*) FROM actual) AS checked_rows,
       (SELECT count(*)
          FROM audit_logs a
         WHERE ($1::uuid IS NULL OR a.hospital_id = $1)
           AND a."timestamp" >= coalesce((SELECT span.to_time FROM span), '-infinity')
           AND a."timestamp" < coalesce($3::timestamptz, 'infinity')) AS unsealed_rows,
       bad.id AS bad_row_id, bad.problem, bad.seq AS bad_seq
  FROM (SELECT 1) AS one
  LEFT JOIN (SELECT c.id, c.problem, c.seq FROM compared c WHERE c.problem IS NOT NULL ORDER BY c.at, c.id LIMIT 1) AS bad
    ON true;
