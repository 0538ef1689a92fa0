-- name: lock_alerts_for_reading :exec
-- Test probe: what a long report holds on alerts until its transaction ends (ACCESS SHARE, the lock every
-- SELECT takes); ALTER TABLE waits for it, and CREATE INDEX CONCURRENTLY waits for its transaction.
-- index: -
LOCK TABLE alerts IN ACCESS SHARE MODE;
