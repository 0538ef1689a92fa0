-- name: audit_delete_row :rows
-- Test probe: tampering by DELETE of one audit row.
-- $1 hospital_id uuid, $2 row_id uuid
-- index: -
DELETE FROM audit_logs WHERE hospital_id = $1 AND id = $2;
