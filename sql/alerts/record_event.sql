-- name: record_event :one
-- Appends an alert change to the event log and notifies the LISTEN connection of every service process,
-- in the caller's transaction (the notification is delivered at commit, with the row visible).
-- $1 hospital_id uuid, $2 alert_id uuid, $3 event_type text, $4 department_id uuid, $5 priority text, $6 escalation_level integer, $7 payload jsonb
-- returns: EventIdRow
-- index: alert_events_pkey
WITH event AS (
    INSERT INTO alert_events (hospital_id, alert_id, event_type, department_id, priority, escalation_level, payload)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    RETURNING id, hospital_id
)
SELECT e.id
  FROM event e,
       pg_notify('alert_events', e.hospital_id::text || ':' || e.id::text) AS notified;
