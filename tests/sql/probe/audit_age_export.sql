-- name: audit_age_export :rows
-- Test probe (a clock moved forward for one export): its request time and expiry move back.
-- $1 hospital_id uuid, $2 export_id uuid, $3 by interval
-- index: audit_exports_hospital_id_key
UPDATE audit_exports
   SET created_at = created_at - $3::interval, expires_at = expires_at - $3::interval
 WHERE hospital_id = $1 AND id = $2;
