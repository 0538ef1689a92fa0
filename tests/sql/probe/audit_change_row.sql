-- name: audit_change_row :rows
-- Test probe: tampering by UPDATE, flipping one audit row's outcome.
-- $1 hospital_id uuid, $2 row_id uuid
-- index: -
UPDATE audit_logs
   SET outcome = CASE outcome WHEN 'success' THEN 'failure' ELSE 'success' END
 WHERE hospital_id = $1 AND id = $2;
