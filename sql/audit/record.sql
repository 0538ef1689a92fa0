-- name: record :exec
-- Appends one audit row in the caller's transaction. retention_until is the hospital's
-- audit_retention_days from now (six years when the row has no hospital: a failed login with an unknown email).
-- $1 hospital_id uuid, $2 user_id uuid, $3 action text, $4 resource text, $5 resource_id text, $6 outcome text, $7 ip_address inet, $8 user_agent text, $9 session_id uuid, $10 metadata jsonb
-- index: hospital_settings_pkey
INSERT INTO audit_logs (hospital_id, user_id, action, resource, resource_id, outcome,
                        ip_address, user_agent, session_id, metadata, retention_until)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
       now() + make_interval(days => coalesce(
           (SELECT s.audit_retention_days FROM hospital_settings s WHERE s.hospital_id = $1), 2192));
