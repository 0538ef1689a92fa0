-- name: audit_log_rows :many
-- Test probe: every audit row of a hospital as GET /audit/logs shows it, newest first by ("timestamp", id):
-- the oracle the list's filters and pages are checked against.
-- $1 hospital_id uuid
-- returns: AuditLogRow
-- index: audit_logs_hospital_time_idx
SELECT id, user_id, hospital_id, action, resource, resource_id, outcome, ip_address, user_agent, session_id,
       metadata, "timestamp", retention_until
  FROM audit_logs
 WHERE hospital_id = $1
 ORDER BY "timestamp" DESC, id DESC;
