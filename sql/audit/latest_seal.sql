-- name: latest_seal :one
-- The head of the chain, to print and keep outside the database (hospital-alerts audit seal).
-- returns: SealRow
-- index: audit_seals_pkey
-- scope: all hospitals (the chain covers every hospital's rows)
SELECT seq, row_count, seal_hash, sealed_to
  FROM audit_seals
 ORDER BY seq DESC
 LIMIT 1;
