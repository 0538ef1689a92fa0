-- name: mark_reader :one
-- For the rest of a read-only transaction that may run long (an export's download, audit verification):
-- names it "hospital-alerts reader" in pg_stat_activity, so the sealer does not wait for it to end. The
-- sealer waits for every open transaction that may still write an audit row; a read-only one writes none.
-- returns: ApplicationNameRow
-- index: -
SELECT set_config('application_name', 'hospital-alerts reader', true) AS application_name;
