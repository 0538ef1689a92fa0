-- name: compliance_report :one
-- GET /audit/compliance-report: the hospital's figures for [$2, $3). From the audit rows of the period: counts
-- by action and outcome, failed logins, lockouts, role changes and exports. From the alerts raised in the
-- period: time to acknowledge by priority (median and 90th percentile, seconds). Escalations of the period by
-- reason. And, as they stand now: active users without 2FA, and active users with no login for 90 days or more
-- (counted from their creation when they never logged in).
-- $1 hospital_id uuid, $2 from_time timestamptz, $3 to_time timestamptz
-- returns: ReportRow
-- index: audit_logs_hospital_action_time_idx, alerts_hospital_created_idx, alert_escalations_hospital_time_idx, users_hospital_active_name_idx
WITH counted AS (
    SELECT a.action, a.outcome, count(*) AS count
      FROM audit_logs a
     WHERE a.hospital_id = $1 AND a."timestamp" >= $2 AND a."timestamp" < $3
     GROUP BY a.action, a.outcome
), acknowledged AS (
    SELECT al.priority, count(*) AS count,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM al.acknowledged_at - al.created_at)) AS median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM al.acknowledged_at - al.created_at)) AS p90
      FROM alerts al
     WHERE al.hospital_id = $1 AND al.created_at >= $2 AND al.created_at < $3 AND al.acknowledged_at IS NOT NULL
     GROUP BY al.priority
), escalated AS (
    SELECT e.reason, count(*) AS count
      FROM alert_escalations e
     WHERE e.hospital_id = $1 AND e.escalated_at >= $2 AND e.escalated_at < $3
     GROUP BY e.reason
), staff AS (
    SELECT count(*) FILTER (WHERE NOT u.two_factor_enabled) AS without_2fa,
           count(*) FILTER (WHERE coalesce(u.last_login_at, u.created_at) <= now() - interval '90 days') AS inactive
      FROM users u
     WHERE u.hospital_id = $1 AND u.is_active
)
SELECT coalesce((SELECT jsonb_agg(jsonb_build_object('action', c.action, 'outcome', c.outcome, 'count', c.count)
                                  ORDER BY c.action, c.outcome)
                   FROM counted c), '[]'::jsonb) AS actions,
       coalesce((SELECT sum(c.count) FROM counted c WHERE c.action = 'auth.login' AND c.outcome = 'failure'), 0)::bigint AS failed_logins,
       coalesce((SELECT sum(c.count) FROM counted c WHERE c.action = 'auth.lockout'), 0)::bigint AS lockouts,
       staff.without_2fa AS users_without_2fa,
       staff.inactive AS inactive_users,
       coalesce((SELECT sum(c.count) FROM counted c WHERE c.action = 'user.role_change' AND c.outcome = 'success'), 0)::bigint AS role_changes,
       coalesce((SELECT sum(c.count) FROM counted c WHERE c.action = 'audit.export' AND c.outcome = 'success'), 0)::bigint AS exports,
       (SELECT jsonb_object_agg(p.priority, jsonb_build_object('count', coalesce(k.count, 0), 'median', k.median, 'p90', k.p90))
          FROM unnest(ARRAY['low', 'medium', 'high', 'critical']) AS p(priority)
          LEFT JOIN acknowledged k ON k.priority = p.priority) AS ack_time_seconds,
       (SELECT jsonb_object_agg(r.reason, coalesce(x.count, 0))
          FROM unnest(ARRAY['timeout', 'manual', 'no_response']) AS r(reason)
          LEFT JOIN escalated x ON x.reason = r.reason) AS escalations
  FROM staff;
