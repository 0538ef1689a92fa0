-- name: find_seal :one
-- One seal by number: audit verify --expect compares its hash with one kept outside the database.
-- $1 seq bigint
-- returns: SealRow
-- index: audit_seals_pkey
-- scope: all hospitals (the chain covers every hospital's rows)
SELECT seq, row_count, seal_hash, sealed_to
  FROM audit_seals
 WHERE seq = $1;
