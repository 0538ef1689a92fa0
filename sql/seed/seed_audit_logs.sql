-- name: seed_audit_logs :rows
-- hospital-alerts seed: `rows` audit rows spread evenly over [t_from, t_to) in time order (the seed writes a
-- month at a time, oldest first, as the service appends them, so each partition holds its rows in time order;
-- the sealer's BRIN index relies on it). Hospital 1 is the busiest, with a tenth of the rows (a million at the
-- large scale: the benches export and page through it); the others share the rest evenly (a failed login for
-- an unknown email belongs to none). Its actor is one of the hospital's users, skewed (user 0, the admin, is the
-- busiest), its action drawn from the mix below (weights in parts per thousand; about 5 in 100 are failures).
-- retention_until is the default 2192 days after the row.
-- $1 hospitals integer, $2 users_per_hospital integer, $3 alerts_per_hospital integer, $4 rows integer, $5 t_from timestamptz, $6 t_to timestamptz
-- index: -
-- scope: all hospitals (the seed builds every hospital of an empty database)
WITH mix AS MATERIALIZED (
    SELECT array_agg(w.action ORDER BY w.ord) AS actions,
           array_agg(w.resource ORDER BY w.ord) AS resources,
           array_agg(w.outcome ORDER BY w.ord) AS outcomes,
           array_agg(w.actor ORDER BY w.ord) AS actors,
           array_agg((w.start / w.total)::float8 ORDER BY w.ord) AS starts
      FROM (SELECT v.*, sum(v.weight) OVER (ORDER BY v.ord) - v.weight AS start, sum(v.weight) OVER () AS total
              FROM (VALUES ( 1, 'auth.login',           'session',      'success', 'user',   339.0),
                           ( 2, 'auth.login',           'user',         'failure', 'user',    27.0),
                           ( 3, 'auth.login',           NULL,           'failure', 'nobody',   3.0),
                           ( 4, 'auth.logout',          'session',      'success', 'user',    80.0),
                           ( 5, 'auth.lockout',         'user',         'success', 'user',     2.0),
                           ( 6, 'auth.password_change', 'user',         'success', 'user',     8.0),
                           ( 7, 'auth.2fa_enable',      'user',         'success', 'user',     2.0),
                           ( 8, 'alert.create',         'alert',        'success', 'user',   120.0),
                           ( 9, 'alert.acknowledge',    'alert',        'success', 'user',   110.0),
                           (10, 'alert.resolve',        'alert',        'success', 'user',   100.0),
                           (11, 'alert.escalate',       'alert',        'success', 'system',  25.0),
                           (12, 'alert.cancel',         'alert',        'success', 'user',    10.0),
                           (13, 'alert.expire',         'alert',        'success', 'system',   8.0),
                           (14, 'user.update',          'user',         'success', 'user',    90.0),
                           (15, 'user.create',          'user',         'success', 'user',     5.0),
                           (16, 'user.role_change',     'user',         'success', 'user',     4.0),
                           (17, 'user.deactivate',      'user',         'success', 'user',     2.0),
                           (18, 'department.update',    'department',   'success', 'user',     6.0),
                           (19, 'hospital.update',      'hospital',     'success', 'user',     3.0),
                           (20, 'audit.view',           'audit_log',    'success', 'user',    35.0),
                           (21, 'audit.export',         'audit_export', 'success', 'user',     1.0),
                           (22, 'access.denied',        'alert',        'failure', 'user',    20.0))
                   AS v (ord, action, resource, outcome, actor, weight)) AS w
), drawn AS (
    SELECT i,
           $5::timestamptz + ($6::timestamptz - $5::timestamptz) * ((i - 1 + random()) / $4::int) AS ts,
           CASE WHEN $1::int = 1 OR random() < 0.1 THEN 1 ELSE 2 + floor(random() * ($1::int - 1))::int END AS h,
           floor($2::int * random() ^ 2)::int AS u,
           floor($2::int * random() ^ 2)::int AS target,
           1 + floor(random() * $3::int)::int AS alert,
           width_bucket(random(), mix.starts) AS k,
           gen_random_uuid() AS session
      FROM generate_series(1, $4::int) AS i, mix
    OFFSET 0  -- a fence: each random() above is drawn once per row, however often the columns are used below
), rows AS (
    SELECT d.i, d.ts, d.h, d.u, d.target, d.alert, d.session,
           mix.actions[d.k] AS action, mix.resources[d.k] AS resource, mix.outcomes[d.k] AS outcome,
           mix.actors[d.k] AS actor
      FROM drawn d, mix
)
INSERT INTO audit_logs (id, user_id, hospital_id, action, resource, resource_id, outcome, ip_address, user_agent,
                        session_id, metadata, "timestamp", retention_until)
SELECT gen_random_uuid(),
       CASE WHEN r.actor = 'user' THEN md5('seed-user-' || r.h || '-' || r.u)::uuid END,
       CASE WHEN r.actor <> 'nobody' THEN md5('seed-hospital-' || r.h)::uuid END,
       r.action,
       r.resource,
       CASE r.resource
            WHEN 'session' THEN r.session::text
            WHEN 'user' THEN md5('seed-user-' || r.h || '-' || CASE WHEN starts_with(r.action, 'auth.') THEN r.u ELSE r.target END)::uuid::text
            WHEN 'alert' THEN md5('seed-alert-' || r.h || '-' || r.alert)::uuid::text
            WHEN 'department' THEN md5('seed-department-' || r.h || '-' || mod(r.target, 10))::uuid::text
            WHEN 'hospital' THEN md5('seed-hospital-' || r.h)::uuid::text
            WHEN 'audit_export' THEN r.session::text
       END,
       r.outcome,
       CASE WHEN r.actor <> 'system' THEN ('10.' || mod(r.h, 256) || '.' || mod(r.u, 256) || '.' || (1 + mod(r.i, 250)))::inet END,
       CASE r.actor
            WHEN 'system' THEN 'hospital-alerts-scheduler'
            ELSE (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/128.0 Safari/537.36',
                        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15',
                        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
                        'HospitalAlerts-Android/3.2.1 (Pixel 8; Android 14)'])[1 + mod(r.u, 4)]
       END,
       CASE WHEN r.actor = 'user' AND NOT (r.action = 'auth.login' AND r.outcome = 'failure') THEN r.session END,
       CASE
            WHEN r.action = 'auth.login' AND r.outcome = 'success'
                THEN jsonb_build_object('method', 'password', 'email', 'user' || r.u || '@hospital' || r.h || '.seed.example')
            WHEN r.action = 'auth.login' AND r.actor = 'nobody'
                THEN jsonb_build_object('reason', 'unknown_email', 'email', 'nobody.' || mod(r.i, 997) || '@example.org')
            WHEN r.action = 'auth.login'
                THEN jsonb_build_object('reason', 'wrong_password', 'email', 'user' || r.u || '@hospital' || r.h || '.seed.example')
            WHEN r.action = 'access.denied'
                THEN jsonb_build_object('reason', 'role', 'method', 'POST', 'path', '/api/v1/alerts')
            WHEN r.resource = 'alert'
                THEN jsonb_build_object('status', CASE r.action WHEN 'alert.create' THEN 'active'
                                                                WHEN 'alert.acknowledge' THEN 'acknowledged'
                                                                WHEN 'alert.cancel' THEN 'cancelled'
                                                                WHEN 'alert.escalate' THEN 'active'
                                                                ELSE 'resolved' END,
                                        'escalationLevel', CASE WHEN r.action = 'alert.escalate' THEN 1 ELSE 0 END)
            WHEN r.action = 'user.update' THEN jsonb_build_object('fields', jsonb_build_array('shiftSchedule'))
            WHEN r.action = 'user.role_change' THEN jsonb_build_object('from', 'nurse', 'to', 'head_doctor')
            WHEN r.action = 'audit.view' THEN jsonb_build_object('what', 'logs', 'cursor', false, 'rows', 100)
            ELSE '{}'::jsonb
       END,
       r.ts,
       r.ts + interval '2192 days'
  FROM rows r;
