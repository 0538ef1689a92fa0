-- name: audit_set_alert_times :rows
-- Test probe: when an alert was raised and when it was acknowledged (a known time to acknowledge).
-- $1 hospital_id uuid, $2 alert_id uuid, $3 created_at timestamptz, $4 acknowledged_at timestamptz
-- index: alerts_hospital_id_key
UPDATE alerts
   SET created_at = $3, acknowledged_at = $4
 WHERE hospital_id = $1 AND id = $2;
