-- name: hospital_name :one
-- Test probe: a hospital's name, to see that the command line created it.
-- $1 hospital_id uuid
-- returns: HospitalNameRow
-- index: hospitals_pkey
SELECT name FROM hospitals WHERE id = $1;
