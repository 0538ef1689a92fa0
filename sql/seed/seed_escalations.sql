-- name: seed_escalations :rows
-- hospital-alerts seed: the escalation steps of the seeded alerts of hospitals first..last, one row per level
-- reached, each at its timeout after the previous: mostly the timeout loop's, one in ten raised by hand
-- (manual, by the alert's creator), one in twenty for want of any response (no_response).
-- $1 first_hospital integer, $2 last_hospital integer
-- index: alerts_hospital_created_idx
-- scope: all hospitals (the seed builds every hospital of an empty database)
INSERT INTO alert_escalations (hospital_id, alert_id, from_level, to_level, reason, escalated_by, escalated_at)
SELECT al.hospital_id, al.id, step - 1, step, e.reason,
       CASE WHEN e.reason = 'manual' THEN al.created_by END,
       al.created_at + step * ack_timeout(s, al.priority)
  FROM generate_series($1::int, $2::int) AS h
  JOIN alerts al ON al.hospital_id = md5('seed-hospital-' || h)::uuid
  JOIN hospital_settings s ON s.hospital_id = al.hospital_id
 CROSS JOIN LATERAL generate_series(1, al.escalation_level) AS step
 CROSS JOIN LATERAL (SELECT CASE WHEN mod(abs(hashtext(al.id::text)) + step, 10) = 0 THEN 'manual'
                                 WHEN mod(abs(hashtext(al.id::text)) + step, 20) = 1 THEN 'no_response'
                                 ELSE 'timeout' END AS reason) AS e
 WHERE al.escalation_level > 0;
