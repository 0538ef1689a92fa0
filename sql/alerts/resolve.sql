-- name: resolve :one
-- Compare-and-set: an open alert (active or acknowledged) the caller may see becomes resolved. No row when it is
-- closed already (409) or not visible (404).
-- Its times never go back before the alert's last change (greatest(now(), updated_at)): a change that waited
-- for another's row lock commits after it, so updatedAt and the escalation times follow the events' order.
-- $1 hospital_id uuid, $2 alert_id uuid, $3 user_id uuid, $4 viewer_scope text, $5 viewer_role text, $6 viewer_department_id uuid
-- returns: AlertIdRow
-- index: alerts_hospital_id_key
UPDATE alerts
   SET status = 'resolved', resolved_by = $3, resolved_at = greatest(now(), updated_at), next_escalation_at = NULL, updated_at = greatest(now(), updated_at)
 WHERE hospital_id = $1 AND id = $2 AND status IN ('active', 'acknowledged')
   AND alert_visible($4, $5, $6, department_id, priority, escalation_level)
RETURNING id;
