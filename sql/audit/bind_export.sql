-- name: bind_export :one
-- The download of an export: finds the hospital's export while it is valid and names it, in transaction-local
-- settings, to the COPY statement that follows (export_csv or export_ndjson: COPY takes no parameters).
-- No row when the export is another hospital's, unknown or expired.
-- $1 hospital_id uuid, $2 export_id uuid
-- returns: BoundExportRow
-- index: audit_exports_hospital_id_key
SELECT format,
       set_config('hospital_alerts.export_hospital_id', hospital_id::text, true) AS bound_hospital_id,
       set_config('hospital_alerts.export_id', id::text, true) AS bound_export_id
  FROM audit_exports
 WHERE hospital_id = $1 AND id = $2 AND expires_at > now();
