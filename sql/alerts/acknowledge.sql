-- name: acknowledge :one
-- Compare-and-set: an active alert the caller may see becomes acknowledged, and stops escalating by time. No row
-- when it is not active (409) or not visible (404): the caller reads it again to tell which.
-- Its times never go back before the alert's last change (greatest(now(), updated_at)): a change that waited
-- for another's row lock commits after it, so updatedAt and the escalation times follow the events' order.
-- $1 hospital_id uuid, $2 alert_id uuid, $3 user_id uuid, $4 viewer_scope text, $5 viewer_role text, $6 viewer_department_id uuid
-- returns: AlertIdRow
-- index: alerts_hospital_id_key
UPDATE alerts
   SET status = 'acknowledged', acknowledged_by = $3, acknowledged_at = greatest(now(), updated_at), next_escalation_at = NULL,
       updated_at = greatest(now(), updated_at)
 WHERE hospital_id = $1 AND id = $2 AND status = 'active'
   AND alert_visible($4, $5, $6, department_id, priority, escalation_level)
RETURNING id;
