-- name: audit_seal_count :one
-- Test probe: how many seals the chain has, and the highest number.
-- returns: SealCountRow
-- index: audit_seals_pkey
-- scope: all hospitals (seals cover every hospital)
SELECT count(*) AS seals, coalesce(max(seq), 0) AS last_seq FROM audit_seals;
