-- name: audit_seal_parts_triggers_off :exec
-- Test probe: the append-only triggers of the seals' parts disabled (in the test's transaction).
-- index: -
ALTER TABLE audit_seal_parts DISABLE TRIGGER USER;
