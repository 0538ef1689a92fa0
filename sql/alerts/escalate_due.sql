-- name: escalate_due :one
-- The escalation loop's step: claims one active alert whose acknowledgement deadline has passed (skipping any
-- another process holds), raises it one level (reason timeout) with its next deadline, or none at the
-- hospital's maximum; an alert already at (or, the maximum lowered, above) it keeps its level and only loses
-- its deadline. No row when nothing is due.
-- Its times never go back before the alert's last change (greatest(now(), updated_at)): a change that waited
-- for another's row lock commits after it, so updatedAt and the escalation times follow the events' order.
-- returns: DueEscalationRow
-- index: alerts_escalation_due_idx, hospital_settings_pkey
-- scope: all hospitals (the background loop serves every hospital)
WITH due AS (
    SELECT id, escalation_level AS from_level
      FROM alerts
     WHERE status = 'active' AND next_escalation_at <= now()
     ORDER BY next_escalation_at
     LIMIT 1
       FOR UPDATE SKIP LOCKED
), raised AS (
    UPDATE alerts a
       SET escalation_level = CASE WHEN a.escalation_level < s.max_escalation_level
                                   THEN a.escalation_level + 1 ELSE a.escalation_level END,
           next_escalation_at = CASE
               WHEN a.escalation_level + 1 < s.max_escalation_level
               THEN now() + ack_timeout(s, a.priority)
               END,
           updated_at = greatest(now(), a.updated_at)
      FROM due, hospital_settings s
     WHERE a.id = due.id AND s.hospital_id = a.hospital_id
    RETURNING a.id, a.hospital_id, due.from_level, a.escalation_level AS to_level, a.updated_at
), logged AS (
    INSERT INTO alert_escalations (hospital_id, alert_id, from_level, to_level, reason, escalated_at)
    SELECT hospital_id, id, from_level, to_level, 'timeout', updated_at
      FROM raised
     WHERE to_level > from_level
)
SELECT hospital_id, id, from_level, to_level FROM raised;
