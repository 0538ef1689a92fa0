-- name: seed_hospitals :rows
-- hospital-alerts seed --scale N: hospitals 1..N with default settings. Ids are md5('seed-hospital-' || h), so
-- the other seed statements name a hospital's rows without a lookup.
-- $1 hospitals integer, $2 since timestamptz
-- index: -
-- scope: all hospitals (the seed builds every hospital of an empty database)
WITH made AS (
    INSERT INTO hospitals (id, name, address, phone, license_number, created_at, updated_at)
    SELECT md5('seed-hospital-' || h)::uuid,
           'Seed Hospital ' || lpad(h::text, 4, '0'),
           h || ' Infirmary Road, Seedville',
           '+1 555 ' || lpad(h::text, 4, '0'),
           'SEED-' || lpad(h::text, 4, '0'),
           $2, $2
      FROM generate_series(1, $1::int) AS h
    RETURNING id
)
INSERT INTO hospital_settings (hospital_id)
SELECT id FROM made;
