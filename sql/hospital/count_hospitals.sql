-- name: count_hospitals :one
-- How many hospitals the database holds (serve --demo seeds only an empty database).
-- scope: all hospitals (asks whether there is any tenant at all)
-- returns: CountRow
-- index: hospitals_pkey
SELECT count(*) AS count FROM hospitals;
