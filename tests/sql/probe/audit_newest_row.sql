-- name: audit_newest_row :one
-- Test probe: the time of the newest committed audit row, of any hospital (what a test waits to see sealed).
-- returns: NewestRow
-- index: audit_logs_time_brin_idx
-- scope: all hospitals (the chain covers every hospital's rows)
SELECT max("timestamp") AS at FROM audit_logs;
