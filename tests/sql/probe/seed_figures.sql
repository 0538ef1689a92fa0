-- name: seed_figures :one
-- Test probe: what seed --scale built, across all hospitals: open alerts (and the active ones still waiting for a
-- deadline), escalation rows, audit rows sealed and not, the roles of hospital 1's users 0..4 in order, how many
-- users have 2FA, and the nurse's password hash.
-- scope: all hospitals (test probe reading a throwaway database)
-- returns: SeedFiguresRow
-- index: -
SELECT (SELECT count(*) FROM alerts WHERE status IN ('active', 'acknowledged')) AS open_alerts,
       (SELECT count(*) FROM alerts WHERE status = 'active' AND next_escalation_at > now()) AS active_with_deadline,
       (SELECT count(*) FROM alert_escalations) AS escalations,
       (SELECT coalesce(sum(row_count), 0)::bigint FROM audit_seals) AS sealed_rows,
       (SELECT count(*) FROM audit_logs WHERE "timestamp" >= (SELECT max(sealed_to) FROM audit_seals)) AS unsealed_rows,
       (SELECT string_agg(role, ',' ORDER BY email)
          FROM users WHERE email IN ('user0@hospital1.seed.example', 'user1@hospital1.seed.example',
                                     'user2@hospital1.seed.example', 'user3@hospital1.seed.example',
                                     'user4@hospital1.seed.example')) AS first_roles,
       (SELECT count(*) FROM users WHERE two_factor_enabled) AS two_factor_users,
       (SELECT password_hash FROM users WHERE email = 'user3@hospital1.seed.example') AS nurse_password_hash;
