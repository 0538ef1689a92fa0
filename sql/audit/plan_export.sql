-- name: plan_export :one
-- Before an export's COPY, for the rest of its transaction: read the rows in the order of the hospital's
-- time index (oldest first, one partition after another) rather than collect them and sort. A sort would
-- spill a million-row export to disk and send nothing until it ends; the index order streams from the
-- first row, in constant memory.
-- returns: SettingRow
-- index: -
SELECT set_config('enable_sort', 'off', true) AS setting;
