-- The data set of bench/audit.py, in set-based SQL: one statement per "-- name:" block, each run by the bench
-- with psycopg's named parameters (so no percent sign appears in this file outside a parameter).
--
-- Ids are derived from names with md5(), so a statement can name the rows of another without a lookup:
--   hospital h: number 0 is the big hospital (created by the command line, its id passed as big), the others
--               are md5('bench-hospital-' || h)::uuid;
--   user u of hospital h: md5('bench-user-' || h || '-' || u)::uuid, email bench.<h>.<u>@bench.example;
--   department d of the big hospital: md5('bench-department-0-' || d)::uuid.
-- Audit rows are written in time order, a chunk at a time (as the service appends them), so each month's
-- partition holds its rows in time order, like in production (the sealer's BRIN index relies on it).

-- name: partitions
-- The monthly partitions of audit_logs from first_month on (the migrations created this month and the next 3).
SELECT audit_logs_ensure_partitions(%(first_month)s::date, %(months)s::int) AS created;

-- name: hospitals
-- Every hospital but the big one, with default settings (audit retention 2192 days).
WITH made AS (
    INSERT INTO hospitals (id, name, license_number, created_at, updated_at)
    SELECT md5('bench-hospital-' || h)::uuid, 'Bench Hospital ' || lpad(h::text, 3, '0'), 'LIC-' || h,
           %(since)s, %(since)s
      FROM generate_series(1, %(hospitals)s::int - 1) AS h
    RETURNING id
)
INSERT INTO hospital_settings (hospital_id)
SELECT id FROM made;

-- name: departments
-- Five departments of the big hospital, for its alerts.
INSERT INTO departments (id, hospital_id, name, code, created_at, updated_at)
SELECT md5('bench-department-0-' || d)::uuid, %(big)s::uuid, name, code, %(since)s, %(since)s
  FROM (VALUES (0, 'Emergency', 'ER'), (1, 'Intensive Care', 'ICU'), (2, 'Cardiology', 'CARD'),
               (3, 'Surgery', 'SURG'), (4, 'Paediatrics', 'PED')) AS v (d, name, code);

-- name: users
-- users_per_hospital staff in every hospital. A dummy argon2id string as password (nobody logs in as them);
-- a third with 2FA (a dummy secret), and last logins spread over 200 days (some inactive for 90+ days).
WITH hospital AS (
    SELECT h, CASE WHEN h = 0 THEN %(big)s::uuid ELSE md5('bench-hospital-' || h)::uuid END AS id
      FROM generate_series(0, %(hospitals)s::int - 1) AS h
)
INSERT INTO users (id, hospital_id, department_id, email, email_verified, name, role, password_hash,
                   password_changed_at, is_active, last_login_at, two_factor_enabled, two_factor_secret,
                   created_at, updated_at)
SELECT md5('bench-user-' || hospital.h || '-' || u)::uuid,
       hospital.id,
       CASE WHEN hospital.h = 0 THEN md5('bench-department-0-' || mod(u, 5))::uuid END,
       'bench.' || hospital.h || '.' || u || '@bench.example',
       true,
       'Bench User ' || hospital.h || '-' || u,
       (ARRAY['nurse', 'doctor', 'nurse', 'operator', 'head_doctor', 'nurse', 'doctor', 'admin'])[1 + mod(u, 8)],
       '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hiZW5jaGJlbmNoMTI$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoMTIzNA',
       %(since)s,
       mod(u, 10) <> 9,
       now() - make_interval(days => mod(u * 37, 200)),
       mod(u, 3) = 0,
       CASE WHEN mod(u, 3) = 0 THEN '\x00'::bytea END,
       %(since)s,
       %(since)s
  FROM hospital, generate_series(0, %(users_per_hospital)s::int - 1) AS u;

-- name: audit_rows
-- Audit rows first_row .. last_row of a segment of segment_rows rows spread evenly over [t_from, t_to): row i
-- falls at t_from + (i - segment_first + jitter) / segment_rows of the way, so rows come in time order. Each
-- row is the big hospital's with probability p_big, else one of the others'; its user one of the hospital's
-- users, skewed (user 0 is the busiest: about a fifth of the rows); its action drawn from the mix below
-- (weights in parts per thousand; failures about 5 in 100). retention_until is the default 2192 days.
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
           %(t_from)s::timestamptz
               + (%(t_to)s::timestamptz - %(t_from)s::timestamptz) * ((i - %(segment_first)s::int + random()) / %(segment_rows)s::int)
               AS ts,
           CASE WHEN random() < %(p_big)s::float8 THEN 0 ELSE 1 + floor(random() * (%(hospitals)s::int - 1))::int END AS h,
           floor(%(users_per_hospital)s::int * random() ^ 2)::int AS u,
           floor(%(users_per_hospital)s::int * random() ^ 2)::int AS target,
           width_bucket(random(), mix.starts) AS k,
           gen_random_uuid() AS session
      FROM generate_series(%(first_row)s::int, %(last_row)s::int) AS i, mix
    OFFSET 0  -- a fence: each random() above is drawn once per row, however often the columns are used below
), rows AS (
    SELECT d.i, d.ts, d.h, d.u, d.target, d.session,
           mix.actions[d.k] AS action, mix.resources[d.k] AS resource, mix.outcomes[d.k] AS outcome,
           mix.actors[d.k] AS actor
      FROM drawn d, mix
)
INSERT INTO audit_logs (id, user_id, hospital_id, action, resource, resource_id, outcome, ip_address, user_agent,
                        session_id, metadata, "timestamp", retention_until)
SELECT gen_random_uuid(),
       CASE WHEN r.actor = 'user' THEN md5('bench-user-' || r.h || '-' || r.u)::uuid END,
       CASE WHEN r.actor = 'nobody' THEN NULL
            WHEN r.h = 0 THEN %(big)s::uuid
            ELSE md5('bench-hospital-' || r.h)::uuid END,
       r.action,
       r.resource,
       CASE r.resource
            WHEN 'session' THEN r.session::text
            WHEN 'user' THEN md5('bench-user-' || r.h || '-' || CASE WHEN starts_with(r.action, 'auth.') THEN r.u ELSE r.target END)::uuid::text
            WHEN 'alert' THEN md5('bench-alert-' || r.h || '-' || (r.i / 6))::uuid::text
            WHEN 'department' THEN md5('bench-department-' || r.h || '-' || mod(r.target, 5))::uuid::text
            WHEN 'hospital' THEN CASE WHEN r.h = 0 THEN %(big)s::uuid ELSE md5('bench-hospital-' || r.h)::uuid END::text
            WHEN 'audit_export' THEN r.session::text
       END,
       r.outcome,
       CASE WHEN r.actor <> 'system' THEN ('10.' || mod(r.h, 256) || '.' || r.u || '.' || (1 + mod(r.i, 250)))::inet END,
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
                THEN jsonb_build_object('method', 'password', 'email', 'bench.' || r.h || '.' || r.u || '@bench.example')
            WHEN r.action = 'auth.login' AND r.actor = 'nobody'
                THEN jsonb_build_object('reason', 'unknown_email', 'email', 'nobody.' || mod(r.i, 997) || '@example.org')
            WHEN r.action = 'auth.login'
                THEN jsonb_build_object('reason', 'wrong_password', 'email', 'bench.' || r.h || '.' || r.u || '@bench.example')
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

-- name: alerts
-- alerts alerts of the big hospital raised in [t_from, t_to): most acknowledged after a delay that grows as
-- the priority falls (heavy-tailed), then resolved; a few cancelled unacknowledged, a few expired. An alert
-- unacknowledged past its priority's default timeout reached one escalation level per timeout (at most 3).
INSERT INTO alerts (id, hospital_id, department_id, title, priority, alert_type, room_number, status,
                    escalation_level, created_by, acknowledged_by, acknowledged_at, resolved_by, resolved_at,
                    cancelled_by, cancelled_at, cancel_reason, created_at, updated_at)
SELECT a.id, %(big)s::uuid, md5('bench-department-0-' || mod(a.n, 5))::uuid, 'Bench alert ' || a.n, a.priority,
       (ARRAY['medical', 'medical', 'medical', 'security', 'fire', 'other'])[1 + mod(a.n, 6)], 'R-' || (100 + mod(a.n, 400)),
       CASE a.fate WHEN 'cancelled' THEN 'cancelled' ELSE 'resolved' END,
       least(3, floor(extract(epoch FROM a.waited) / a.timeout_seconds))::int,
       md5('bench-user-0-' || mod(a.n, %(users_per_hospital)s::int))::uuid,
       CASE WHEN a.fate = 'acknowledged' THEN md5('bench-user-0-' || mod(a.n * 7, %(users_per_hospital)s::int))::uuid END,
       CASE WHEN a.fate = 'acknowledged' THEN a.created_at + a.waited END,
       CASE WHEN a.fate = 'acknowledged' THEN md5('bench-user-0-' || mod(a.n * 7, %(users_per_hospital)s::int))::uuid END,
       CASE WHEN a.fate <> 'cancelled' THEN a.created_at + a.waited + interval '20 minutes' END,
       CASE WHEN a.fate = 'cancelled' THEN md5('bench-user-0-' || mod(a.n, %(users_per_hospital)s::int))::uuid END,
       CASE WHEN a.fate = 'cancelled' THEN a.created_at + a.waited END,
       CASE WHEN a.fate = 'cancelled' THEN 'raised by mistake' END,
       a.created_at,
       a.created_at + a.waited + interval '20 minutes'
  FROM (SELECT s.*,
               CASE s.priority WHEN 'critical' THEN 60 WHEN 'high' THEN 180 WHEN 'medium' THEN 600 ELSE 1800 END
                   AS timeout_seconds,
               make_interval(secs => CASE s.priority WHEN 'critical' THEN 25 WHEN 'high' THEN 70
                                                     WHEN 'medium' THEN 240 ELSE 700 END
                                     * (0.2 - ln(1.0 - random()))) AS waited
          FROM (SELECT n, md5('bench-report-alert-' || n)::uuid AS id,
                       %(t_from)s::timestamptz + (%(t_to)s::timestamptz - %(t_from)s::timestamptz) * random()
                           AS created_at,
                       (ARRAY['low', 'low', 'low', 'medium', 'medium', 'medium', 'medium', 'high', 'high',
                              'critical'])[1 + floor(random() * 10)::int] AS priority,
                       CASE WHEN random() < 0.03 THEN 'cancelled' WHEN random() < 0.02 THEN 'expired'
                            ELSE 'acknowledged' END AS fate
                  FROM generate_series(1, %(alerts)s::int) AS n
                OFFSET 0) AS s
        OFFSET 0) AS a;

-- name: escalations
-- The escalation steps of the alerts above: mostly the timeout loop's; one in ten raised by hand (manual),
-- one in twenty for want of any response (no_response).
INSERT INTO alert_escalations (hospital_id, alert_id, from_level, to_level, reason, escalated_by, escalated_at)
SELECT al.hospital_id, al.id, step - 1, step, e.reason,
       CASE WHEN e.reason = 'manual' THEN al.created_by END,
       al.created_at + step * ack_timeout(s, al.priority)
  FROM alerts al
  JOIN hospital_settings s ON s.hospital_id = al.hospital_id
 CROSS JOIN LATERAL generate_series(1, al.escalation_level) AS step
 CROSS JOIN LATERAL (SELECT CASE WHEN mod(abs(hashtext(al.id::text)) + step, 10) = 0 THEN 'manual'
                                 WHEN mod(abs(hashtext(al.id::text)) + step, 20) = 1 THEN 'no_response'
                                 ELSE 'timeout' END AS reason) AS e
 WHERE al.hospital_id = %(big)s::uuid;
