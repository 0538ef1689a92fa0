-- name: rearm_escalations :rows
-- After the hospital's maxEscalationLevel was raised: active alerts that had stopped at the old maximum get a
-- deadline again, counted from their last escalation (or creation), so one already overdue goes up at the
-- escalation loop's next pass. Counts the alerts re-armed.
-- $1 hospital_id uuid
-- index: alerts_open_idx, hospital_settings_pkey, alert_escalations_hospital_alert_idx
UPDATE alerts a
   SET next_escalation_at = coalesce(
           (SELECT max(e.escalated_at)
              FROM alert_escalations e
             WHERE e.hospital_id = a.hospital_id AND e.alert_id = a.id),
           a.created_at) + ack_timeout(s, a.priority)
  FROM hospital_settings s
 WHERE a.hospital_id = $1 AND s.hospital_id = a.hospital_id
   AND a.status = 'active' AND a.next_escalation_at IS NULL AND a.escalation_level < s.max_escalation_level;
