-- name: escalate :one
-- Compare-and-set, by hand: an open alert the caller may see, below the hospital's maximum level, goes up one
-- level (reason manual, logged in alert_escalations); an active one gets a fresh acknowledgement deadline (none
-- at the maximum level). No row when it is closed or at the maximum (409) or not visible (404).
-- Its times never go back before the alert's last change (greatest(now(), updated_at)): a change that waited
-- for another's row lock commits after it, so updatedAt and the escalation times follow the events' order.
-- $1 hospital_id uuid, $2 alert_id uuid, $3 user_id uuid, $4 note text, $5 viewer_scope text, $6 viewer_role text, $7 viewer_department_id uuid
-- returns: AlertIdRow
-- index: alerts_hospital_id_key, hospital_settings_pkey
WITH raised AS (
    UPDATE alerts a
       SET escalation_level = a.escalation_level + 1,
           next_escalation_at = CASE
               WHEN a.status = 'active' AND a.escalation_level + 1 < s.max_escalation_level
               THEN now() + ack_timeout(s, a.priority)
               END,
           updated_at = greatest(now(), a.updated_at)
      FROM hospital_settings s
     WHERE a.hospital_id = $1 AND a.id = $2 AND s.hospital_id = a.hospital_id
       AND a.status IN ('active', 'acknowledged') AND a.escalation_level < s.max_escalation_level
       AND alert_visible($5, $6, $7, a.department_id, a.priority, a.escalation_level)
    RETURNING a.id, a.hospital_id, a.escalation_level, a.updated_at
), logged AS (
    INSERT INTO alert_escalations (hospital_id, alert_id, from_level, to_level, reason, note, escalated_by, escalated_at)
    SELECT hospital_id, id, escalation_level - 1, escalation_level, 'manual', $4, $3, updated_at
      FROM raised
)
SELECT id FROM raised;
