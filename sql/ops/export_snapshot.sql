-- name: export_snapshot :one
-- Exports the snapshot of the calling (repeatable read) transaction, so that pg_dump --snapshot reads exactly
-- what this transaction reads: the backup's manifest counts the rows of the dump itself.
-- returns: SnapshotRow
-- index: -
SELECT pg_export_snapshot() AS snapshot;
