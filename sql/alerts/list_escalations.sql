-- name: list_escalations :many
-- An alert's escalations, oldest first (GET /alerts/{id}).
-- $1 hospital_id uuid, $2 alert_id uuid
-- returns: EscalationRow
-- index: alert_escalations_hospital_alert_idx
SELECT from_level, to_level, reason, note, escalated_by, escalated_at
  FROM alert_escalations
 WHERE hospital_id = $1 AND alert_id = $2
 ORDER BY escalated_at, to_level;
