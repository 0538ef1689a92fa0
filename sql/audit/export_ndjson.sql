-- name: export_ndjson :copy
-- The download of an NDJSON export: one JSON object per line, the API's audit row, oldest first. Run as
-- COPY (...) TO STDOUT in CSV format with a quote and a delimiter that JSON text never contains, so each line
-- leaves PostgreSQL exactly as row_to_json wrote it.
-- returns: AuditNdjsonRow
-- index: audit_logs_hospital_time_idx
SELECT row_to_json(r)::text AS line
  FROM (SELECT a.id, a.user_id AS "userId", a.hospital_id AS "hospitalId", a.action, a.resource,
               a.resource_id AS "resourceId", a.outcome, a.ip_address AS "ipAddress", a.user_agent AS "userAgent",
               a.session_id AS "sessionId", a.metadata,
               to_char(a."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "timestamp",
               to_char(a.retention_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "retentionUntil"
          FROM audit_export_rows(current_setting('hospital_alerts.export_hospital_id')::uuid,
                                 current_setting('hospital_alerts.export_id')::uuid) AS a
         ORDER BY a."timestamp", a.id) AS r;
