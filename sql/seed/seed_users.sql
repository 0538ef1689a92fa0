-- name: seed_users :rows
-- hospital-alerts seed: users 0..per_hospital-1 of hospitals first..last. User u of hospital h is
-- md5('seed-user-' || h || '-' || u), email user<u>@hospital<h>.seed.example, in department mod(u, 10).
-- Users 0..4 are, in order, an admin, a head doctor, a doctor, a nurse and an operator, none with 2FA (the
-- benches log in as them); the rest are mostly nurses and doctors, a third with 2FA (a dummy secret: they
-- cannot log in), one in ten deactivated, last logins spread over 200 days. Every password is the one hash
-- given (one argon2id hash: hashing 100,000 passwords would take an hour of CPU).
-- $1 first_hospital integer, $2 last_hospital integer, $3 per_hospital integer, $4 password_hash text, $5 since timestamptz
-- index: -
-- scope: all hospitals (the seed builds every hospital of an empty database)
INSERT INTO users (id, hospital_id, department_id, email, email_verified, name, role, license_number, specialization,
                   password_hash, password_changed_at, is_active, last_login_at, two_factor_enabled,
                   two_factor_secret, created_at, updated_at)
SELECT md5('seed-user-' || h || '-' || u)::uuid,
       md5('seed-hospital-' || h)::uuid,
       md5('seed-department-' || h || '-' || mod(u, 10))::uuid,
       'user' || u || '@hospital' || h || '.seed.example',
       true,
       (ARRAY['Ada', 'Ben', 'Chloe', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena',
              'Mateo', 'Nadia', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara',
              'Zoe'])[1 + mod(u * 7, 25)]
           || ' ' ||
       (ARRAY['Adams', 'Brennan', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova',
              'Jensen', 'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Quintero', 'Rossi',
              'Schmidt', 'Tanaka', 'Ulrich', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zielinski', 'Abbott', 'Baker',
              'Cohen', 'Dalton', 'Evans'])[1 + mod(u * 13 + u / 25, 31)]
           || ' ' || u,
       r.role,
       CASE WHEN r.role IN ('doctor', 'head_doctor') THEN 'MD-' || h || '-' || u END,
       CASE WHEN r.role IN ('doctor', 'head_doctor') THEN
           (ARRAY['Emergency medicine', 'Intensive care', 'Cardiology', 'Surgery', 'Paediatrics', 'Oncology',
                  'Neurology', 'Orthopaedics', 'Radiology', 'Obstetrics'])[1 + mod(u, 10)] END,
       $4,
       $5,
       u < 5 OR mod(u, 10) <> 9,
       now() - make_interval(days => mod(u * 37, 200), secs => mod(u * 7919, 86400)),
       u >= 5 AND mod(u, 3) = 0,
       CASE WHEN u >= 5 AND mod(u, 3) = 0 THEN '\x00'::bytea END,
       $5,
       $5
  FROM generate_series($1::int, $2::int) AS h
 CROSS JOIN generate_series(0, $3::int - 1) AS u
 CROSS JOIN LATERAL (
     SELECT CASE WHEN u < 5 THEN (ARRAY['admin', 'head_doctor', 'doctor', 'nurse', 'operator'])[1 + u]
                 ELSE (ARRAY['nurse', 'nurse', 'doctor', 'nurse', 'operator', 'nurse', 'doctor', 'nurse', 'doctor',
                             'nurse', 'head_doctor', 'nurse', 'doctor', 'operator', 'nurse', 'doctor', 'nurse',
                             'nurse', 'doctor', 'nurse', 'operator', 'doctor', 'nurse', 'nurse', 'doctor', 'nurse',
                             'head_doctor', 'nurse', 'doctor', 'nurse', 'operator', 'nurse', 'doctor', 'nurse',
                             'nurse', 'doctor', 'nurse', 'nurse', 'doctor', 'admin'])[1 + mod(u, 40)] END AS role
 ) AS r;
