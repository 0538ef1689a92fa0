-- name: count_unsealed :one
-- The compliance report: hospital $1's rows from $2 (the end of the last seal meeting the period; null: no
-- seal, so from the start) to $3, not sealed yet (rows of the last few seconds).
-- $1 hospital_id uuid, $2 sealed_to timestamptz, $3 to_time timestamptz
-- returns: UnsealedRow
-- index: audit_logs_hospital_time_idx
SELECT count(*) AS unsealed_rows
  FROM audit_logs a
 WHERE a.hospital_id = $1
   AND a."timestamp" >= coalesce($2::timestamptz, '-infinity')
   AND a."timestamp" < $3;
