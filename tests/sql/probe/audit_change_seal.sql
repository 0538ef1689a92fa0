-- name: audit_change_seal :rows
-- Test probe: tampering with a seal (its hash), after its triggers were disabled.
-- $1 seq bigint
-- index: -
-- scope: all hospitals (seals cover every hospital)
UPDATE audit_seals SET seal_hash = sha256(seal_hash) WHERE seq = $1;
