-- name: list_alerts :many
-- GET /alerts: every alert the caller may see, newest first, keyset-paginated on (created_at, id). Each filter
-- is optional (null: any); from is inclusive, to exclusive; the cursor is the last row of the previous page.
-- Asks for one row more than a page, so the caller knows whether another page follows.
-- $1 hospital_id uuid, $2 viewer_scope text, $3 viewer_role text, $4 viewer_department_id uuid, $5 status text, $6 priority text, $7 department_id uuid, $8 created_from timestamptz, $9 created_to timestamptz, $10 after_created_at timestamptz, $11 after_id uuid, $12 row_limit bigint
-- returns: AlertRow
-- index: alerts_hospital_created_idx, alerts_hospital_department_created_idx
SELECT id, hospital_id, department, title, description, priority, alert_type, room_number, status, escalation_level,
       created_by, acknowledged_by, acknowledged_at, resolved_by, resolved_at, cancel_reason, created_at, updated_at,
       expires_at
  FROM alert_details
 WHERE hospital_id = $1
   AND alert_visible($2, $3, $4, department_id, priority, escalation_level)
   AND ($5::text IS NULL OR status = $5)
   AND ($6::text IS NULL OR priority = $6)
   AND ($7::uuid IS NULL OR department_id = $7)
   AND ($8::timestamptz IS NULL OR created_at >= $8)
   AND ($9::timestamptz IS NULL OR created_at < $9)
   AND ($10::timestamptz IS NULL OR (created_at, id) < ($10, $11))
 ORDER BY created_at DESC, id DESC
 LIMIT $12;
