-- name: analyze_all :utility
-- hospital-alerts restore, after pg_restore: statistics for every table, partitioned parents included (pg_restore
-- writes none and autovacuum never analyzes a partitioned parent), before the restored database is verified and
-- served.
-- index: -
ANALYZE;
