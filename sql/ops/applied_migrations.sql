-- name: applied_migrations :many
-- The migrations applied to this database (yoyo's bookkeeping table), oldest first; readiness compares
-- them with the build's own list.
-- returns: AppliedMigrationRow
-- index: -
SELECT migration_id
  FROM _yoyo_migration
 ORDER BY applied_at_utc, migration_id;
