-- name: audit_purge_rows :many
-- Test probe: the retention purge's audit rows (no user, no hospital), oldest first.
-- returns: AuditRow
-- index: audit_logs_hospital_action_time_idx
-- scope: all hospitals (rows with no hospital at all)
SELECT action, outcome, user_id, resource, resource_id, session_id, ip_address, user_agent, metadata, "timestamp",
       retention_until
  FROM audit_logs
 WHERE hospital_id IS NULL AND action = 'audit.purge'
 ORDER BY "timestamp", id;
