-- name: audit_partitions :many
-- Test probe: the monthly partitions of audit_logs that exist, and whether each has its TRUNCATE trigger.
-- returns: PartitionRow
-- index: -
SELECT c.relname::text AS name,
       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'audit_logs_no_truncate') AS guarded
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'audit_logs'::regclass
 ORDER BY c.relname;
