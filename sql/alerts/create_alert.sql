-- name: create_alert :one
-- Raises an alert in an active department of the hospital; its first escalation deadline is now plus the
-- hospital's ack timeout for its priority. No row when the department is not an active one of this
-- hospital, or when an alert with this id exists (the demo seed runs twice without changing anything).
-- $1 hospital_id uuid, $2 alert_id uuid, $3 department_id uuid, $4 title text, $5 description text, $6 priority text, $7 alert_type text, $8 room_number text, $9 expires_at timestamptz, $10 created_by uuid
-- returns: AlertRow
-- index: departments_hospital_id_key, hospital_settings_pkey
WITH created AS (
    INSERT INTO alerts (id, hospital_id, department_id, title, description, priority, alert_type, room_number,
                        expires_at, created_by, next_escalation_at)
    SELECT $2, d.hospital_id, d.id, $4, $5, $6, $7, $8, $9, $10,
           now() + ack_timeout(s, $6)
      FROM departments d
      JOIN hospital_settings s ON s.hospital_id = d.hospital_id
     WHERE d.hospital_id = $1 AND d.id = $3 AND d.is_active
    ON CONFLICT (id) DO NOTHING
    RETURNING id, hospital_id, department_id, title, description, priority, alert_type, room_number, status,
              escalation_level, created_by, acknowledged_by, acknowledged_at, resolved_by, resolved_at,
              cancel_reason, created_at, updated_at, expires_at
)
SELECT a.id, a.hospital_id, jsonb_build_object('id', d.id, 'name', d.name, 'code', d.code) AS department,
       a.title, a.description, a.priority, a.alert_type, a.room_number, a.status, a.escalation_level,
       a.created_by, a.acknowledged_by, a.acknowledged_at, a.resolved_by, a.resolved_at, a.cancel_reason,
       a.created_at, a.updated_at, a.expires_at
  FROM created a
  JOIN departments d ON d.hospital_id = $1 AND d.id = a.department_id;
