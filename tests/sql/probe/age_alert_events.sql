-- name: age_alert_events :rows
-- Test probe (a clock moved forward for one alert's events): their times move back.
-- $1 hospital_id uuid, $2 alert_id uuid, $3 by interval
-- index: alert_events_hospital_id_idx
UPDATE alert_events
   SET created_at = created_at - $3::interval
 WHERE hospital_id = $1 AND alert_id = $2;
