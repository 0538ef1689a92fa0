-- Test migration: an index on a big table built CONCURRENTLY, the recipe of docs/operations.md: outside a
-- transaction, after dropping what an earlier failed attempt left (an INVALID index of the same name).
-- transactional: false
-- depends: 0100.add-alert-triage-note
DROP INDEX CONCURRENTLY IF EXISTS alerts_created_by_idx;
CREATE INDEX CONCURRENTLY alerts_created_by_idx ON alerts (created_by);
