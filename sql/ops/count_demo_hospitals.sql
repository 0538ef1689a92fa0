-- name: count_demo_hospitals :one
-- How many hospitals are demo or seed data, whose accounts' passwords are published: serve --demo's (their ids,
-- given) and seed --scale's (license numbers SEED-nnnn). A production serve refuses a database that holds any.
-- $1 demo_ids uuid[]
-- returns: CountRow
-- index: hospitals_pkey
-- scope: all hospitals (looks for any tenant that is demo data)
SELECT count(*) AS count
  FROM hospitals
 WHERE id = ANY($1) OR license_number LIKE 'SEED-%';
