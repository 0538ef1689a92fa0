-- name: alerts_events :many
-- Test probe: a hospital's alert events, oldest first, each one JSON object as text (id, alertId, eventType,
-- departmentId, priority, escalationLevel, payload). It comes back in the one text column of TableNameRow, a
-- Row type of tests/probes.py, so that this file loads whichever test modules a run imports.
-- $1 hospital_id uuid
-- returns: TableNameRow
-- index: alert_events_hospital_id_idx
SELECT jsonb_build_object('id', id, 'alertId', alert_id, 'eventType', event_type, 'departmentId', department_id,
                          'priority', priority, 'escalationLevel', escalation_level, 'payload', payload)::text AS name
  FROM alert_events
 WHERE hospital_id = $1
 ORDER BY id;
