-- name: audit_seal_triggers_off :exec
-- Test probe: the append-only triggers of the seals disabled (in the test's transaction).
-- index: -
ALTER TABLE audit_seals DISABLE TRIGGER USER;
