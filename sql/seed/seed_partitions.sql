-- name: seed_partitions :one
-- hospital-alerts seed: the monthly partitions of audit_logs from first_month on, for `months` months (the
-- migrations create only this month's and the next three); how many it created.
-- $1 first_month date, $2 months integer
-- returns: CreatedRow
-- index: -
-- scope: all hospitals (partitions hold every hospital's rows)
SELECT audit_logs_ensure_partitions($1, $2) AS created;
