-- Undo 0002.create-audit: drops the audit trail with all its partitions.

DROP FUNCTION audit_logs_ensure_partitions(date, integer);
DROP TABLE audit_logs;
