-- name: audit_truncate_partition :exec
-- Test probe: TRUNCATE of the default partition by name (its own trigger must refuse it).
-- index: -
TRUNCATE audit_logs_default;
