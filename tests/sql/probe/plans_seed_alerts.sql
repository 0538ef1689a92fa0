-- name: plans_seed_alerts :exec
-- Test probe (plans): 500 alerts in every hospital over the last 30 days, 1 in 50 still open, each with an
-- event.
-- index: -
-- scope: all hospitals (a data set of many hospitals, for the planner)
WITH made AS (
    INSERT INTO alerts (hospital_id, department_id, title, priority, alert_type, status, resolved_at, created_at,
                        updated_at)
    SELECT d.hospital_id, d.id, 'Alert ' || g, (ARRAY['low', 'medium', 'high', 'critical'])[1 + g % 4], 'medical',
           CASE WHEN g % 50 = 0 THEN 'active' ELSE 'resolved' END,
           CASE WHEN g % 50 = 0 THEN NULL ELSE now() - make_interval(mins => g) END,
           now() - make_interval(mins => g + 5), now() - make_interval(mins => g)
      FROM departments d CROSS JOIN generate_series(1, 100) AS g
     WHERE d.name LIKE 'Department %'
    RETURNING hospital_id, id, department_id, priority
)
INSERT INTO alert_events (hospital_id, alert_id, event_type, department_id, priority, escalation_level, payload)
SELECT m.hospital_id, m.id, 'alert.created', m.department_id, m.priority, 0, '{}' FROM made m;
