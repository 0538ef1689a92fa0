-- name: lock_event_log :exec
-- Serialises a hospital's alert events until the transaction ends, so that event ids commit in increasing
-- order: a stream that has delivered event n may safely ask for "after n" without skipping one that
-- committed late. Taken just before the event is written, so the changes themselves still run in parallel.
-- $1 hospital_id uuid
-- index: -
SELECT pg_advisory_xact_lock(hashtextextended('alert_events:' || $1::uuid::text, 0));
