-- name: update_settings :rows
-- Merges settings into a hospital's: each null parameter keeps the value it had.
-- $1 hospital_id uuid, $2 ack_timeout_low_seconds integer, $3 ack_timeout_medium_seconds integer, $4 ack_timeout_high_seconds integer, $5 ack_timeout_critical_seconds integer, $6 max_escalation_level integer, $7 lockout_threshold integer, $8 lockout_minutes integer, $9 session_idle_minutes integer, $10 audit_retention_days integer
-- index: hospital_settings_pkey
UPDATE hospital_settings
   SET ack_timeout_low_seconds = coalesce($2, ack_timeout_low_seconds),
       ack_timeout_medium_seconds = coalesce($3, ack_timeout_medium_seconds),
       ack_timeout_high_seconds = coalesce($4, ack_timeout_high_seconds),
       ack_timeout_critical_seconds = coalesce($5, ack_timeout_critical_seconds),
       max_escalation_level = coalesce($6, max_escalation_level),
       lockout_threshold = coalesce($7, lockout_threshold),
       lockout_minutes = coalesce($8, lockout_minutes),
       session_idle_minutes = coalesce($9, session_idle_minutes),
       audit_retention_days = coalesce($10, audit_retention_days),
       updated_at = now()
 WHERE hospital_id = $1;
