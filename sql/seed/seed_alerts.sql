-- name: seed_alerts :rows
-- hospital-alerts seed: per_hospital alerts in each of hospitals first..last; alert n of hospital h is
-- md5('seed-alert-' || h || '-' || n). Alerts 1..per_hospital-open are closed and spread evenly from `since`
-- to two hours ago (in time order, as the service writes them): most acknowledged after a delay that grows as
-- the priority falls (heavy-tailed), then resolved; 3 in 100 cancelled; 1 in 100 resolved unacknowledged by
-- expiry. The last `open` alerts were raised in the past two hours and are still open: about 60 in 100
-- acknowledged, the rest active; the newest, raised in the last minute, is always active, so that every
-- hospital has an alert whose next escalation is still ahead (by chance alone, one hospital in about a hundred
-- had none: every active alert past its third level). Escalation levels follow the default timeouts (critical 60 s, high 180 s,
-- medium 600 s, low 1800 s; at most 3 levels), and an active alert below the top level has its next
-- deadline set, so the escalation loop keeps working while a bench runs. Raised by operators, acknowledged
-- by nurses, of every department alike.
-- $1 first_hospital integer, $2 last_hospital integer, $3 per_hospital integer, $4 open integer, $5 users_per_hospital integer, $6 since timestamptz
-- index: -
-- scope: all hospitals (the seed builds every hospital of an empty database)
INSERT INTO alerts (id, hospital_id, department_id, title, description, priority, alert_type, room_number, status,
                    escalation_level, next_escalation_at, created_by, acknowledged_by, acknowledged_at,
                    resolved_by, resolved_at, cancelled_by, cancelled_at, cancel_reason, created_at, updated_at)
SELECT md5('seed-alert-' || a.h || '-' || a.n)::uuid,
       md5('seed-hospital-' || a.h)::uuid,
       md5('seed-department-' || a.h || '-' || mod(a.n * 7, 10))::uuid,
       a.title,
       CASE WHEN mod(a.n, 4) = 0 THEN 'Reported by the ward; see the chart for details.' END,
       a.priority,
       a.alert_type,
       CASE WHEN mod(a.n, 9) <> 0 THEN (100 + mod(a.n * 31, 500))::text END,
       a.status,
       a.level,
       CASE WHEN a.status = 'active' AND a.level < 3 THEN a.created_at + a.timeout * (a.level + 1) END,
       md5('seed-user-' || a.h || '-' || (40 * mod(a.n, a.crews) + 4))::uuid,
       CASE WHEN a.acknowledged_at IS NOT NULL THEN md5('seed-user-' || a.h || '-' || (40 * mod(a.n * 7, a.crews) + 3))::uuid END,
       a.acknowledged_at,
       CASE WHEN a.status = 'resolved' AND a.acknowledged_at IS NOT NULL
            THEN md5('seed-user-' || a.h || '-' || (40 * mod(a.n * 7, a.crews) + 3))::uuid END,
       CASE WHEN a.status = 'resolved' THEN coalesce(a.acknowledged_at, a.created_at) + a.handling END,
       CASE WHEN a.status = 'cancelled' THEN md5('seed-user-' || a.h || '-' || (40 * mod(a.n, a.crews) + 4))::uuid END,
       CASE WHEN a.status = 'cancelled' THEN a.created_at + a.waited END,
       CASE WHEN a.status = 'cancelled' THEN 'raised by mistake' END,
       a.created_at,
       CASE a.status WHEN 'resolved' THEN coalesce(a.acknowledged_at, a.created_at) + a.handling
                     WHEN 'cancelled' THEN a.created_at + a.waited
                     ELSE coalesce(a.acknowledged_at, a.created_at) END
  FROM (
    SELECT t.*,
           CASE WHEN t.status = 'active' THEN least(3, floor(extract(epoch FROM now() - t.created_at) / extract(epoch FROM t.timeout)))::int
                WHEN t.acknowledged_at IS NOT NULL THEN least(3, floor(extract(epoch FROM t.acknowledged_at - t.created_at) / extract(epoch FROM t.timeout)))::int
                ELSE least(3, floor(extract(epoch FROM t.waited) / extract(epoch FROM t.timeout)))::int END AS level
      FROM (
        SELECT s.*,
               CASE WHEN s.status = 'acknowledged' THEN s.created_at + least(s.waited, (now() - s.created_at) * s.r_ack)
                    WHEN s.status = 'resolved' AND s.fate = 'acknowledged' THEN s.created_at + s.waited END AS acknowledged_at
          FROM (
            SELECT d.*,
                   CASE WHEN d.is_open THEN CASE WHEN d.r_fate < 0.6 AND d.n < $3::int THEN 'acknowledged' ELSE 'active' END
                        WHEN d.fate = 'cancelled' THEN 'cancelled'
                        ELSE 'resolved' END AS status,
                   make_interval(secs => CASE d.priority WHEN 'critical' THEN 60 WHEN 'high' THEN 180
                                                         WHEN 'medium' THEN 600 ELSE 1800 END) AS timeout,
                   make_interval(secs => CASE d.priority WHEN 'critical' THEN 25 WHEN 'high' THEN 70
                                                         WHEN 'medium' THEN 240 ELSE 700 END
                                         * (0.2 - ln(1.0 - d.r_wait))) AS waited,
                   interval '1 minute' * (5 + 60 * d.r_handling) AS handling,
                   (ARRAY['Cardiac arrest', 'Patient fall', 'Rapid response', 'Sepsis alert', 'Code blue',
                          'Aggressive visitor', 'Missing patient', 'Fire alarm', 'Smoke detected',
                          'Equipment failure', 'Oxygen supply low', 'Stroke alert'])[1 + mod(d.n * 5, 12)] AS title,
                   (ARRAY['medical', 'medical', 'medical', 'medical', 'medical', 'security', 'security', 'fire',
                          'fire', 'other', 'other', 'medical'])[1 + mod(d.n * 5, 12)] AS alert_type
              FROM (
                SELECT h, n, greatest(1, $5::int / 40) AS crews,
                       n > $3::int - $4::int AS is_open,
                       CASE WHEN n = $3::int THEN now() - interval '1 minute' * random()  -- the newest: see is_open
                            WHEN n > $3::int - $4::int THEN now() - interval '2 hours' * random()
                            ELSE $6::timestamptz + (now() - interval '2 hours' - $6::timestamptz) * ((n - 1 + random()) / greatest(1, $3::int - $4::int))
                       END AS created_at,
                       (ARRAY['low', 'low', 'low', 'medium', 'medium', 'medium', 'medium', 'high', 'high',
                              'critical'])[1 + floor(random() * 10)::int] AS priority,
                       CASE WHEN random() < 0.03 THEN 'cancelled' WHEN random() < 0.01 THEN 'expired'
                            ELSE 'acknowledged' END AS fate,
                       random() AS r_fate, random() AS r_wait, random() AS r_ack, random() AS r_handling
                  FROM generate_series($1::int, $2::int) AS h
                 CROSS JOIN generate_series(1, $3::int) AS n
                OFFSET 0  -- a fence: each random() is drawn once per row, however often its column is used
              ) AS d
          ) AS s
      ) AS t
  ) AS a;
