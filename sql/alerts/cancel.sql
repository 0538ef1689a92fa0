-- name: cancel :one
-- Compare-and-set: an open alert becomes cancelled, with the reason given. With only_own, only an alert the
-- caller raised (operators). No row when it is closed already (409), or not the caller's own (403).
-- Its times never go back before the alert's last change (greatest(now(), updated_at)): a change that waited
-- for another's row lock commits after it, so updatedAt and the escalation times follow the events' order.
-- $1 hospital_id uuid, $2 alert_id uuid, $3 user_id uuid, $4 reason text, $5 only_own boolean
-- returns: AlertIdRow
-- index: alerts_hospital_id_key
UPDATE alerts
   SET status = 'cancelled', cancelled_by = $3, cancelled_at = greatest(now(), updated_at), cancel_reason = $4,
       next_escalation_at = NULL, updated_at = greatest(now(), updated_at)
 WHERE hospital_id = $1 AND id = $2 AND status IN ('active', 'acknowledged')
   AND (NOT $5 OR created_by = $3)
RETURNING id;
