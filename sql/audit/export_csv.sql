-- name: export_csv :copy
-- The download of a CSV export, run as COPY (...) TO STDOUT WITH (FORMAT csv, HEADER): PostgreSQL writes the
-- bytes and the service streams them on. The rows of the export bind_export named (its hospital, range and
-- filters, as GET /audit/logs reads them), oldest first; the header line names the API's fields.
-- returns: AuditCsvRow
-- index: audit_logs_hospital_time_idx
SELECT a.id, a.user_id AS "userId", a.hospital_id AS "hospitalId", a.action, a.resource,
       a.resource_id AS "resourceId", a.outcome, a.ip_address AS "ipAddress", a.user_agent AS "userAgent",
       a.session_id AS "sessionId", a.metadata::text AS metadata,
       to_char(a."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "timestamp",
       to_char(a.retention_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "retentionUntil"
  FROM audit_export_rows(current_setting('hospital_alerts.export_hospital_id')::uuid,
                         current_setting('hospital_alerts.export_id')::uuid) AS a
 ORDER BY a."timestamp", a.id;
