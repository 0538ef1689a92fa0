-- name: insert_audit_row_at :exec
-- Test probe: an audit row written at a chosen time (a month whose partition may not exist yet).
-- $1 hospital_id uuid, $2 at timestamptz
-- index: -
INSERT INTO audit_logs (hospital_id, action, outcome, "timestamp", retention_until)
VALUES ($1, 'user.update', 'success', $2::timestamptz, $2::timestamptz + interval '2192 days');
