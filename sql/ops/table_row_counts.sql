-- name: table_row_counts :many
-- How many rows each of the service's tables holds, in the transaction's snapshot: hospital-alerts backup
-- writes them into the manifest (in the snapshot pg_dump reads), restore compares the restored database's with
-- them. One line per table, in name order.
-- returns: TableCountRow
-- index: -
-- scope: all hospitals (a backup holds every hospital)
SELECT 'alert_escalations' AS table_name, count(*) AS row_count FROM alert_escalations
UNION ALL SELECT 'alert_events', count(*) FROM alert_events
UNION ALL SELECT 'alerts', count(*) FROM alerts
UNION ALL SELECT 'audit_exports', count(*) FROM audit_exports
UNION ALL SELECT 'audit_logs', count(*) FROM audit_logs
UNION ALL SELECT 'audit_seal_parts', count(*) FROM audit_seal_parts
UNION ALL SELECT 'audit_seals', count(*) FROM audit_seals
UNION ALL SELECT 'departments', count(*) FROM departments
UNION ALL SELECT 'hospital_settings', count(*) FROM hospital_settings
UNION ALL SELECT 'hospitals', count(*) FROM hospitals
UNION ALL SELECT 'login_challenges', count(*) FROM login_challenges
UNION ALL SELECT 'login_rate_limits', count(*) FROM login_rate_limits
UNION ALL SELECT 'sessions', count(*) FROM sessions
UNION ALL SELECT 'users', count(*) FROM users;
