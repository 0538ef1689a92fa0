-- name: create_hospital :one
-- Creates a hospital and its settings row (API.md's defaults); the caller chooses the id. No row when a
-- hospital with that id exists already (the demo seed runs twice without changing anything).
-- $1 hospital_id uuid, $2 name text, $3 address text, $4 phone text, $5 license_number text
-- returns: HospitalIdRow
-- index: hospitals_pkey
WITH hospital AS (
    INSERT INTO hospitals (id, name, address, phone, license_number)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), settings AS (
    INSERT INTO hospital_settings (hospital_id)
    SELECT id FROM hospital
)
SELECT id FROM hospital;
