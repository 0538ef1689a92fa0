-- name: audit_triggers_off :exec
-- Test probe: what an attacker with the owner's rights does first, disabling the append-only triggers of the
-- audit log and its seals (in the test's transaction: other sessions never see them off).
-- index: -
ALTER TABLE audit_logs DISABLE TRIGGER USER;
