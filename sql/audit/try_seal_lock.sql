-- name: try_seal_lock :one
-- The sealer's turn: one process seals at a time (the chain has one head); the others skip this pass. Held
-- until the sealer's transaction ends. Request handlers never take it.
-- returns: LockRow
-- index: -
SELECT pg_try_advisory_xact_lock(hashtext('hospital_alerts.audit_sealer')) AS acquired;
