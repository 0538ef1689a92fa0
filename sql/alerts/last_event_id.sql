-- name: last_event_id :one
-- The hospital's newest event id (0 when it has none): where a stream without Last-Event-ID starts.
-- $1 hospital_id uuid
-- returns: EventIdRow
-- index: alert_events_hospital_id_idx
SELECT coalesce(max(id), 0) AS id
  FROM alert_events
 WHERE hospital_id = $1;
