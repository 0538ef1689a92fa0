-- name: audit_row_placement :many
-- Test probe: the partition each audit row of a hospital landed in, how long it is kept, and its metadata.
-- $1 hospital_id uuid
-- returns: AuditPlacementRow
-- index: audit_logs_hospital_time_idx
SELECT tableoid::regclass::text AS partition, retention_until - "timestamp" AS kept, metadata
  FROM audit_logs
 WHERE hospital_id = $1;
