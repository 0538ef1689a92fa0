-- name: ensure_partitions :one
-- Partition upkeep (the maintenance loop): creates the monthly partitions of audit_logs from this month
-- for $1 months that do not exist yet; how many it created.
-- $1 months integer
-- returns: CreatedRow
-- index: -
-- scope: all hospitals (partitions hold every hospital's rows)
SELECT audit_logs_ensure_partitions((now() AT TIME ZONE 'UTC')::date, $1) AS created;
