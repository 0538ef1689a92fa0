-- name: audit_forge_row :one
-- Test probe: tampering by INSERT, a row written straight into the table at a chosen time (retention as the
-- service would set it); its id.
-- $1 hospital_id uuid, $2 at timestamptz, $3 retention_days integer
-- returns: RowIdRow
-- index: -
INSERT INTO audit_logs (hospital_id, action, outcome, "timestamp", retention_until)
VALUES ($1, 'user.update', 'success', $2::timestamptz, $2::timestamptz + make_interval(days => $3))
RETURNING id;
