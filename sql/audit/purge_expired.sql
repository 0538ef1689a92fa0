-- name: purge_expired :many
-- Retention purge (the maintenance loop): drops each monthly partition whose every row is past
-- retention_until at $1 and that the seals wholly cover; one row per partition dropped, for its audit row.
-- $1 as_of timestamptz
-- returns: PurgedRow
-- index: audit_logs_retention_idx, audit_seals_pkey
-- scope: all hospitals (partitions hold every hospital's rows)
SELECT p.partition_name, p.range_from, p.range_to, p.row_count
  FROM audit_logs_purge_expired($1, (SELECT max(s.sealed_to) FROM audit_seals s)) AS p;
