-- name: loops_age_alerts :rows
-- Test probe (a clock moved forward for some alerts): their creation time, acknowledgement deadline and expiry
-- move back by $3, all in one statement, so that they fall due together.
-- $1 hospital_id uuid, $2 alert_ids uuid[], $3 by interval
-- index: alerts_hospital_id_key
UPDATE alerts
   SET created_at = created_at - $3::interval, next_escalation_at = next_escalation_at - $3::interval,
       expires_at = expires_at - $3::interval
 WHERE hospital_id = $1 AND id = ANY($2);
