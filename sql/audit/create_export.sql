-- name: create_export :one
-- POST /audit/exports: records an export request with its range and filters; the download reads them from
-- this row for an hour.
-- $1 hospital_id uuid, $2 requested_by uuid, $3 format text, $4 from_time timestamptz, $5 to_time timestamptz, $6 user_id uuid, $7 action text, $8 resource text, $9 resource_id text, $10 outcome text
-- returns: ExportRow
-- index: -
INSERT INTO audit_exports (hospital_id, requested_by, format, from_time, to_time, user_id, action, resource,
                           resource_id, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id, format, created_at, expires_at, expires_at <= now() AS expired;
