-- name: plans_seed_audit :exec
-- Test probe (plans): 1,000 audit rows in every hospital over the last 20 days (the partitions exist: the test
-- ensures them first).
-- index: -
-- scope: all hospitals (a data set of many hospitals, for the planner)
INSERT INTO audit_logs (hospital_id, action, resource, resource_id, outcome, metadata, "timestamp", retention_until)
SELECT h.id, (ARRAY['auth.login', 'alert.create', 'alert.acknowledge', 'user.update'])[1 + g % 4], 'alert',
       md5(h.id::text || g), CASE WHEN g % 20 = 0 THEN 'failure' ELSE 'success' END, '{}',
       now() - make_interval(secs => g * 1700), now() - make_interval(secs => g * 1700) + interval '2192 days'
  FROM hospitals h CROSS JOIN generate_series(1, 1000) AS g
 WHERE h.name LIKE 'Plans hospital %';
