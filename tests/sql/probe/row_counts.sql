-- name: row_counts :one
-- Test probe: how many rows each table holds, across all hospitals (the demo seed must not add any on a
-- second run).
-- scope: all hospitals (test probe counting every row of a throwaway database)
-- returns: RowCountsRow
-- index: -
SELECT (SELECT count(*) FROM hospitals) AS hospitals,
       (SELECT count(*) FROM hospital_settings) AS hospital_settings,
       (SELECT count(*) FROM departments) AS departments,
       (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM alerts) AS alerts,
       (SELECT count(*) FROM alert_events) AS alert_events,
       (SELECT count(*) FROM audit_logs) AS audit_logs;
