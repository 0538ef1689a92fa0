-- name: vacuum_analyze :utility
-- hospital-alerts seed, after the audit rows and before sealing: VACUUM every table of the database (so
-- index-only scans find their pages all-visible) and ANALYZE it, partitioned parents included, which
-- autovacuum never analyzes: the planner gets the statistics of the data just loaded before the sealer and the
-- first request run.
-- index: -
VACUUM (ANALYZE);
