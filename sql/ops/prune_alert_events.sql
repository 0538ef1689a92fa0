-- name: prune_alert_events :rows
-- Removes alert events older than 24 hours: a stream resumes from events at least that recent; older ids get
-- alert.resync.
-- index: alert_events_created_idx
-- scope: all hospitals (the maintenance loop serves every hospital)
DELETE FROM alert_events
 WHERE created_at < now() - interval '24 hours';
