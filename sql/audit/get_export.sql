-- name: get_export :one
-- GET /audit/exports/{id}: one export request of the hospital; no row for another hospital's.
-- $1 hospital_id uuid, $2 export_id uuid
-- returns: ExportRow
-- index: audit_exports_hospital_id_key
SELECT id, format, created_at, expires_at, expires_at <= now() AS expired
  FROM audit_exports
 WHERE hospital_id = $1 AND id = $2;
