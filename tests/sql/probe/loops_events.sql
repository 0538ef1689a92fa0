-- name: loops_events :many
-- Test probe: a hospital's alert events, oldest first, each one JSON object (id, alertId, eventType,
-- escalationLevel, payload): JsonObjectRow.
-- $1 hospital_id uuid
-- returns: JsonObjectRow
-- index: alert_events_hospital_id_idx
SELECT jsonb_build_object('id', id, 'alertId', alert_id, 'eventType', event_type,
                          'escalationLevel', escalation_level, 'payload', payload) AS data
  FROM alert_events
 WHERE hospital_id = $1
 ORDER BY id;
