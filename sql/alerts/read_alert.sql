-- name: read_alert :one
-- One alert of the hospital as the API shows it, whoever may see it: re-read after a change in the same
-- transaction, for the response, the event and the escalation loop.
-- $1 hospital_id uuid, $2 alert_id uuid
-- returns: AlertRow
-- index: alerts_hospital_id_key
SELECT id, hospital_id, department, title, description, priority, alert_type, room_number, status, escalation_level,
       created_by, acknowledged_by, acknowledged_at, resolved_by, resolved_at, cancel_reason, created_at, updated_at,
       expires_at
  FROM alert_details
 WHERE hospital_id = $1 AND id = $2;
