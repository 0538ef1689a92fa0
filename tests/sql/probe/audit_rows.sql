-- name: audit_rows :many
-- Test probe: a hospital's audit rows, oldest first, with every column a test checks.
-- $1 hospital_id uuid
-- returns: AuditRow
-- index: audit_logs_hospital_time_idx
SELECT action, outcome, user_id, resource, resource_id, session_id, ip_address, user_agent, metadata, "timestamp",
       retention_until
  FROM audit_logs
 WHERE hospital_id = $1
 ORDER BY "timestamp", id;
