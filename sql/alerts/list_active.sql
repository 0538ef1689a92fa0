-- name: list_active :many
-- GET /alerts/active: the open alerts (active or acknowledged) the caller may see, critical first, then newest
-- first. Served by the partial index on open alerts: closed alerts are never read.
-- $1 hospital_id uuid, $2 viewer_scope text, $3 viewer_role text, $4 viewer_department_id uuid, $5 row_limit bigint
-- returns: AlertRow
-- index: alerts_open_idx
SELECT id, hospital_id, department, title, description, priority, alert_type, room_number, status, escalation_level,
       created_by, acknowledged_by, acknowledged_at, resolved_by, resolved_at, cancel_reason, created_at, updated_at,
       expires_at
  FROM alert_details
 WHERE hospital_id = $1 AND status IN ('active', 'acknowledged')
   AND alert_visible($2, $3, $4, department_id, priority, escalation_level)
 ORDER BY priority_rank, created_at DESC, id DESC
 LIMIT $5;
