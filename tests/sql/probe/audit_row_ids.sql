-- name: audit_row_ids :many
-- Test probe: a hospital's audit rows, oldest first: id and time.
-- $1 hospital_id uuid
-- returns: RowTimeRow
-- index: audit_logs_hospital_time_idx
SELECT id, "timestamp"
  FROM audit_logs
 WHERE hospital_id = $1
 ORDER BY "timestamp", id;
