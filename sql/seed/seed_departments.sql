-- name: seed_departments :rows
-- hospital-alerts seed: the same ten departments in each of hospitals 1..N; department d of hospital h is
-- md5('seed-department-' || h || '-' || d).
-- $1 hospitals integer, $2 since timestamptz
-- index: -
-- scope: all hospitals (the seed builds every hospital of an empty database)
INSERT INTO departments (id, hospital_id, name, code, created_at, updated_at)
SELECT md5('seed-department-' || h || '-' || d.d)::uuid, md5('seed-hospital-' || h)::uuid, d.name, d.code, $2, $2
  FROM generate_series(1, $1::int) AS h
 CROSS JOIN (VALUES (0, 'Emergency', 'ER'), (1, 'Intensive Care', 'ICU'), (2, 'Cardiology', 'CARD'),
                    (3, 'Surgery', 'SURG'), (4, 'Paediatrics', 'PED'), (5, 'Oncology', 'ONC'),
                    (6, 'Neurology', 'NEURO'), (7, 'Orthopaedics', 'ORTH'), (8, 'Radiology', 'RAD'),
                    (9, 'Maternity', 'MAT')) AS d (d, name, code);
