-- name: audit_insert_escalation :exec
-- Test probe: an escalation step the system made (reason timeout or no_response) at a chosen time.
-- $1 hospital_id uuid, $2 alert_id uuid, $3 to_level integer, $4 reason text, $5 at timestamptz
-- index: -
INSERT INTO alert_escalations (hospital_id, alert_id, from_level, to_level, reason, escalated_by, escalated_at)
VALUES ($1, $2, $3 - 1, $3, $4, NULL, $5);
