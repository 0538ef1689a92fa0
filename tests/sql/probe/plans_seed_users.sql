-- name: plans_seed_users :exec
-- Test probe (plans): 100 users in every hospital, spread over its departments and roles, each with a session.
-- index: -
-- scope: all hospitals (a data set of many hospitals, for the planner)
WITH made AS (
    INSERT INTO users (hospital_id, department_id, email, name, role, password_hash)
    SELECT d.hospital_id, d.id, 'plans-' || d.id || '-' || g || '@example.org', 'Staff ' || g,
           (ARRAY['operator', 'nurse', 'doctor', 'head_doctor', 'admin'])[1 + g % 5], '$argon2id$plans'
      FROM departments d CROSS JOIN generate_series(1, 20) AS g
     WHERE d.name LIKE 'Department %'
    RETURNING hospital_id, id
)
INSERT INTO sessions (token_hash, hospital_id, user_id, expires_at)
SELECT sha256(convert_to(m.id::text, 'UTF8')), m.hospital_id, m.id, now() + interval '12 hours' FROM made m;
