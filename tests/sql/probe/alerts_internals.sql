-- name: alerts_internals :one
-- Test probe: the columns of an alert the API does not show (next_escalation_at, cancelled_by, cancelled_at), as
-- one JSON object: JsonObjectRow.
-- $1 hospital_id uuid, $2 alert_id uuid
-- returns: JsonObjectRow
-- index: alerts_hospital_id_key
SELECT jsonb_build_object('nextEscalationAt', next_escalation_at, 'cancelledBy', cancelled_by,
                          'cancelledAt', cancelled_at) AS data
  FROM alerts
 WHERE hospital_id = $1 AND id = $2;
