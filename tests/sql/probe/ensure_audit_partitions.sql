-- name: ensure_audit_partitions :one
-- Test probe: what the maintenance loop will call, creating the monthly audit partitions that are missing.
-- $1 first_month date, $2 months integer
-- returns: CreatedRow
-- index: -
SELECT audit_logs_ensure_partitions($1, $2) AS created;
