-- name: find_event :one
-- One of the hospital's events still kept: a Last-Event-ID a stream can resume after. No row when the id is
-- unknown, another hospital's, or pruned (the client gets alert.resync instead).
-- $1 hospital_id uuid, $2 event_id bigint
-- returns: EventIdRow
-- index: alert_events_hospital_id_idx
SELECT id
  FROM alert_events
 WHERE hospital_id = $1 AND id = $2;
