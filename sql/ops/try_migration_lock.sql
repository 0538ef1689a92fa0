-- name: try_migration_lock :one
-- Takes the session-level advisory lock that serialises migrations, without waiting; false when another
-- process holds it. Released by release_migration_lock or when the session ends.
-- $1 lock_key bigint
-- returns: LockRow
-- index: -
SELECT pg_try_advisory_lock($1) AS acquired;
