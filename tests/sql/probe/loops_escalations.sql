-- name: loops_escalations :many
-- Test probe: a hospital's escalation steps, oldest first, each one JSON object (alertId, fromLevel,
-- toLevel, reason, note, escalatedBy, escalatedAt): JsonObjectRow.
-- $1 hospital_id uuid
-- returns: JsonObjectRow
-- index: alert_escalations_hospital_time_idx
SELECT jsonb_build_object('alertId', alert_id, 'fromLevel', from_level, 'toLevel', to_level, 'reason', reason,
                          'note', note, 'escalatedBy', escalated_by, 'escalatedAt', escalated_at) AS data
  FROM alert_escalations
 WHERE hospital_id = $1
 ORDER BY escalated_at, to_level;
