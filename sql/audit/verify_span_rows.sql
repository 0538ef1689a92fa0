-- name: verify_span_rows :one
-- The compliance report's check of one hospital's sealed rows, the count: the hospital's rows in the span
-- [$2, $3) that verify_span found, which must be exactly the rows verify_parts found in the hospital's parts
-- (a row in a window where the hospital had no part was inserted behind the service's back); and its rows
-- from the span's end to $4 (null: now), not sealed yet.
-- $1 hospital_id uuid, $2 rows_from timestamptz, $3 rows_to timestamptz, $4 to_time timestamptz
-- returns: SpanRowsRow
-- index: audit_logs_hospital_time_idx
SELECT (SELECT count(*)
          FROM audit_logs a
         WHERE a.hospital_id = $1 AND a."timestamp" >= $2::timestamptz AND a."timestamp" < $3::timestamptz) AS span_rows,
       (SELECT count(*)
          FROM audit_logs a
         WHERE a.hospital_id = $1
           AND a."timestamp" >= coalesce($3::timestamptz, '-infinity')
           AND a."timestamp" < coalesce($4::timestamptz, 'infinity')) AS unsealed_rows;
