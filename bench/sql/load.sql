-- The statements bench/load.py runs itself (with psycopg's named parameters), one per "-- name:" block. The
-- data set is hospital-alerts seed --scale N's: hospital h is md5('seed-hospital-' || h)::uuid, department d of
-- hospital h md5('seed-department-' || h || '-' || d)::uuid (sql/seed/).

-- name: data_scale
-- What the database holds, for the results: every table the scenarios read, and hospital 1's share.
SELECT (SELECT count(*) FROM hospitals) AS hospitals,
       (SELECT count(*) FROM departments) AS departments,
       (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM alerts) AS alerts,
       (SELECT count(*) FROM alerts WHERE status IN ('active', 'acknowledged')) AS open_alerts,
       (SELECT count(*) FROM audit_logs) AS audit_rows,
       (SELECT count(*) FROM users WHERE hospital_id = md5('seed-hospital-1')::uuid) AS hospital_users,
       (SELECT count(*) FROM audit_logs WHERE hospital_id = md5('seed-hospital-1')::uuid) AS hospital_audit_rows;

-- name: audit_page_cursor
-- The row that ends page `page` - 1 of hospital 1's audit trail (limit `page_size`, newest first): page `page`
-- starts after it. Also the id of the row that must open that page.
SELECT "timestamp", id, lead(id) OVER (ORDER BY "timestamp" DESC, id DESC) AS next_id
  FROM audit_logs
 WHERE hospital_id = md5('seed-hospital-1')::uuid
 ORDER BY "timestamp" DESC, id DESC
OFFSET %(offset)s LIMIT 2;

-- name: add_active_alerts
-- Raises `count` active alerts in hospital 1 (department 0), unescalated and with no deadline, for the
-- acknowledge scenario to acknowledge each once; their ids, oldest first. (Written straight to the table: the
-- scenario measures acknowledging, not creating.)
INSERT INTO alerts (hospital_id, department_id, title, priority, alert_type, room_number, created_by, created_at,
                    updated_at)
SELECT md5('seed-hospital-1')::uuid, md5('seed-department-1-0')::uuid, 'Load bench alert ' || n, 'high', 'medical',
       '412', md5('seed-user-1-4')::uuid, now() - make_interval(secs => n / 1000.0),
       now() - make_interval(secs => n / 1000.0)
  FROM generate_series(1, %(count)s) AS n
RETURNING id;

-- name: close_bench_alerts
-- Resolves what the write scenarios left open in hospital 1 (alerts the bench raised), so a later run over the
-- same database reads the seed's open alerts again.
UPDATE alerts
   SET status = 'resolved', resolved_at = now(), next_escalation_at = NULL, updated_at = now()
 WHERE hospital_id = md5('seed-hospital-1')::uuid
   AND status IN ('active', 'acknowledged')
   AND (title LIKE 'Load bench alert %%' OR title = 'Cardiac arrest, room 412 (load bench)');


-- name: vacuum_alerts
-- VACUUM (ANALYZE) of alerts after close_bench_alerts: the partial indexes on open alerts keep the closed bench
-- alerts' entries until a vacuum removes them, and the next run's active lists would walk them.
VACUUM (ANALYZE) alerts;
