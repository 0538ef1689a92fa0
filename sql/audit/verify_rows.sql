-- name: verify_rows :one
-- audit verify, part 2: the rows. Recomputes the digest of every row of hospital $1 (null: every hospital) in
-- [rows_from, rows_to), the span verify_span found for the seals meeting [$2, $3), and compares rows and
-- seals both ways: a row whose digest differs was changed, a sealed row that is gone was deleted, a row no
-- seal lists was inserted behind the service's back. A sealed row may be gone lawfully once its seal's
-- kept_until (the latest retention date of its rows, in the seal's hash) has passed: the retention purge.
-- Names the first bad row in time order, and counts the rows after the span not sealed yet. The digests are
-- computed by parallel workers (the span is given as parameters so that the scan can be parallel).
-- $1 hospital_id uuid, $2 from_time timestamptz, $3 to_time timestamptz, $4 rows_from timestamptz, $5 rows_to timestamptz
-- returns: RowCheckRow
-- index: audit_seals_sealed_to_idx, audit_seal_parts_key, audit_logs_hospital_time_idx
-- scope: all hospitals (the command line verifies every hospital's rows, or one's)
SELECT count(c.actual_id) AS checked_rows,
       (SELECT count(*)
          FROM audit_logs a
         WHERE ($1::uuid IS NULL OR a.hospital_id = $1)
           AND a."timestamp" >= coalesce($5::timestamptz, '-infinity')
           AND a."timestamp" < coalesce($3::timestamptz, 'infinity')) AS unsealed_rows,
       (array_agg(c.id ORDER BY c.at, c.id) FILTER (WHERE c.problem IS NOT NULL))[1] AS bad_row_id,
       (array_agg(c.problem ORDER BY c.at, c.id) FILTER (WHERE c.problem IS NOT NULL))[1] AS problem,
       (array_agg(c.seq ORDER BY c.at, c.id) FILTER (WHERE c.problem IS NOT NULL))[1] AS bad_seq
  FROM (SELECT x.id AS actual_id, coalesce(x.id, e.id) AS id, coalesce(x."timestamp", e.sealed_from) AS at, e.seq,
               CASE
                   WHEN x.id IS NULL AND e.kept_until > now() THEN 'deleted'
                   WHEN e.id IS NULL THEN 'inserted'
                   WHEN x.digest <> e.digest THEN 'changed'
               END AS problem
          FROM (SELECT a.id, a."timestamp",
                       audit_row_digest(a.id, a.user_id, a.hospital_id, a.action, a.resource, a.resource_id,
                                        a.outcome, a.ip_address, a.user_agent, a.session_id, a.metadata,
                                        a."timestamp", a.retention_until) AS digest
                  FROM audit_logs a
                 WHERE ($1::uuid IS NULL OR a.hospital_id = $1)
                   AND a."timestamp" >= $4::timestamptz AND a."timestamp" < $5::timestamptz) AS x
          FULL JOIN (SELECT e.id, e.digest, s.seq, s.sealed_from, s.kept_until
                       FROM audit_seals s
                       JOIN audit_seal_parts p ON p.seq = s.seq
                      CROSS JOIN LATERAL unnest(p.row_ids, p.row_digests) AS e(id, digest)
                      WHERE s.sealed_to > coalesce($2::timestamptz, '-infinity')
                        AND s.sealed_from < coalesce($3::timestamptz, 'infinity')
                        AND ($1::uuid IS NULL OR p.hospital_id = $1)) AS e
            ON e.id = x.id) AS c;
