-- name: loops_events :many
-- Test probe: a hospital's alert events, oldest first, each one JSON object as text (id, alertId, eventType,
-- escalationLevel, payload) in the one text column of TableNameRow (see loops_alerts.sql for why).
-- $1 hospital_id uuid
-- returns: TableNameRow
-- index: alert_events_hospital_id_idx
SELECT jsonb_build_object('id', id, 'alertId', alert_id, 'eventType', event_type,
                          'escalationLevel', escalation_level, 'payload', payload)::text AS name
  FROM alert_events
 WHERE hospital_id = $1
 ORDER BY id;
