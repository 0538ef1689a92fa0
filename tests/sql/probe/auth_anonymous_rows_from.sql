-- name: auth_anonymous_rows_from :many
-- Test probe: audit rows with no hospital written for one client address (login attempts that named no
-- account: unknown emails, unknown challenges, refusals by the per-address rate limit).
-- $1 ip_address inet
-- returns: AuditRow
-- index: -
-- scope: all hospitals (rows with no hospital at all)
SELECT action, outcome, user_id, resource, resource_id, session_id, ip_address, user_agent, metadata, "timestamp",
       retention_until
  FROM audit_logs
 WHERE hospital_id IS NULL AND ip_address = $1
 ORDER BY "timestamp", id;
