-- name: get_hospital :one
-- The caller's hospital with its settings, as GET /hospital shows it.
-- $1 hospital_id uuid
-- returns: HospitalRow
-- index: hospitals_pkey, hospital_settings_pkey
SELECT h.id, h.name, h.address, h.phone, h.license_number, h.is_active,
       jsonb_build_object(
           'ackTimeoutSeconds', jsonb_build_object(
               'low', s.ack_timeout_low_seconds, 'medium', s.ack_timeout_medium_seconds,
               'high', s.ack_timeout_high_seconds, 'critical', s.ack_timeout_critical_seconds),
           'maxEscalationLevel', s.max_escalation_level,
           'lockoutThreshold', s.lockout_threshold,
           'lockoutMinutes', s.lockout_minutes,
           'sessionIdleMinutes', s.session_idle_minutes,
           'auditRetentionDays', s.audit_retention_days) AS settings,
       h.created_at
  FROM hospitals h
  JOIN hospital_settings s ON s.hospital_id = $1
 WHERE h.id = $1;
