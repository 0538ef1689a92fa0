-- name: loops_alerts :many
-- Test probe: a hospital's alerts with what the escalation and expiry loops change, nextEscalationAt included
-- (the API does not show it), each one JSON object (id, status, escalationLevel, nextEscalationAt,
-- expiresAt, acknowledgedBy, resolvedBy, resolvedAt): JsonObjectRow. FOR SHARE waits for a loop's step in
-- flight on any of them to commit: the test reads the outcome, whichever loop did the work.
-- $1 hospital_id uuid
-- returns: JsonObjectRow
-- index: alerts_hospital_created_idx
SELECT jsonb_build_object('id', id, 'status', status, 'escalationLevel', escalation_level,
                          'nextEscalationAt', next_escalation_at, 'expiresAt', expires_at,
                          'acknowledgedBy', acknowledged_by, 'resolvedBy', resolved_by,
                          'resolvedAt', resolved_at) AS data
  FROM alerts
 WHERE hospital_id = $1
 ORDER BY created_at, id
   FOR SHARE;
