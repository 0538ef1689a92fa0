-- name: audit_insert_row :one
-- Test probe: one audit row of a hospital written at a chosen time with chosen columns (kept the six years the
-- schema asks for); its id. A row written so into a window the chain has sealed is "inserted behind the
-- service's back".
-- $1 hospital_id uuid, $2 user_id uuid, $3 action text, $4 resource text, $5 resource_id text, $6 outcome text, $7 ip_address inet, $8 user_agent text, $9 session_id uuid, $10 metadata jsonb, $11 at timestamptz
-- returns: AuditIdRow
-- index: -
INSERT INTO audit_logs (hospital_id, user_id, action, resource, resource_id, outcome, ip_address, user_agent,
                        session_id, metadata, "timestamp", retention_until)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz, $11::timestamptz + interval '2192 days')
RETURNING id;
