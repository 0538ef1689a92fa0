-- name: lock_hospital :one
-- Serializes the changes that must see every admin of a hospital (role changes, (de)activation) so that two
-- admins demoting each other at once cannot leave it with none. FOR NO KEY UPDATE does not block the
-- foreign-key checks of ordinary writes (audit rows, users, alerts), which take FOR KEY SHARE.
-- $1 hospital_id uuid
-- returns: HospitalIdRow
-- index: hospitals_pkey
SELECT id
  FROM hospitals
 WHERE id = $1
   FOR NO KEY UPDATE;
