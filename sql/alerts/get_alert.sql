-- name: get_alert :one
-- One alert of the hospital that the caller may see (API.md's visibility rule); no row otherwise (404).
-- $1 hospital_id uuid, $2 alert_id uuid, $3 viewer_scope text, $4 viewer_role text, $5 viewer_department_id uuid
-- returns: AlertRow
-- index: alerts_hospital_id_key
SELECT id, hospital_id, department, title, description, priority, alert_type, room_number, status, escalation_level,
       created_by, acknowledged_by, acknowledged_at, resolved_by, resolved_at, cancel_reason, created_at, updated_at,
       expires_at
  FROM alert_details
 WHERE hospital_id = $1 AND id = $2
   AND alert_visible($3, $4, $5, department_id, priority, escalation_level);
