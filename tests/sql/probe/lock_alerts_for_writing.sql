-- name: lock_alerts_for_writing :exec
-- Test probe: the lock every INSERT, UPDATE and DELETE on alerts holds until its transaction ends (ROW
-- EXCLUSIVE); a plain CREATE INDEX waits for it and blocks the writers queued behind, CONCURRENTLY does not.
-- index: -
LOCK TABLE alerts IN ROW EXCLUSIVE MODE;
