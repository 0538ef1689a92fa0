-- name: insert_short_retention_audit_row :exec
-- Test probe: writes an audit row kept five years, which the schema must refuse (six years at least).
-- $1 hospital_id uuid
-- index: -
INSERT INTO audit_logs (hospital_id, action, outcome, retention_until)
VALUES ($1, 'user.update', 'success', now() + interval '5 years');
