-- name: anonymous_audit_rows :many
-- Test probe: audit rows with no hospital (failed logins with an unknown email) whose metadata names an email.
-- $1 email text
-- returns: AuditRow
-- index: -
-- scope: all hospitals (rows with no hospital at all)
SELECT action, outcome, user_id, resource, resource_id, session_id, ip_address, user_agent, metadata, "timestamp",
       retention_until
  FROM audit_logs
 WHERE hospital_id IS NULL AND metadata ->> 'email' = $1
 ORDER BY "timestamp", id;
