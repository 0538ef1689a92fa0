-- name: alerts_set_created_at :rows
-- Test probe: several alerts raised at the very same instant (ties in the history's keyset order).
-- $1 hospital_id uuid, $2 alert_ids uuid[], $3 created_at timestamptz
-- index: alerts_hospital_id_key
UPDATE alerts
   SET created_at = $3, updated_at = $3
 WHERE hospital_id = $1 AND id = ANY($2);
