-- name: alert_event_ids :many
-- Test probe: the ids of a hospital's alert events still kept, oldest first.
-- $1 hospital_id uuid
-- returns: EventIdRow
-- index: alert_events_hospital_id_idx
SELECT id
  FROM alert_events
 WHERE hospital_id = $1
 ORDER BY id;
