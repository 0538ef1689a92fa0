-- name: release_migration_lock :one
-- Releases the migration advisory lock taken by try_migration_lock on this session.
-- $1 lock_key bigint
-- returns: UnlockRow
-- index: -
SELECT pg_advisory_unlock($1) AS released;
