-- name: audit_forge_purge :exec
-- Test probe: tampering by a forged retention purge record (no user, no hospital) claiming every month was
-- purged, written straight into the table.
-- index: -
-- scope: all hospitals (rows with no hospital at all)
INSERT INTO audit_logs (action, outcome, resource, metadata, retention_until)
VALUES ('audit.purge', 'success', 'audit_partition',
        '{"partition": "audit_logs_p000001", "from": "-infinity", "to": "infinity", "rows": 0}',
        now() + interval '2192 days');
