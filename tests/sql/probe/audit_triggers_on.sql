-- name: audit_triggers_on :exec
-- Test probe: the append-only triggers of the audit log enabled again.
-- index: -
ALTER TABLE audit_logs ENABLE TRIGGER USER;
