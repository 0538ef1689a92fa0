-- name: stream_kill_listeners :one
-- Test probe: terminates every connection of this database that is LISTENing (each serve process's dedicated
-- stream connection), as a network failure or a failover would; how many it ended.
-- returns: StreamKilledRow
-- index: -
SELECT count(pg_terminate_backend(pid)) AS killed
  FROM pg_stat_activity
 WHERE datname = current_database() AND query LIKE 'LISTEN%';
