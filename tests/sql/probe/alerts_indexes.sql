-- name: alerts_indexes :many
-- Test probe: the indexes of alerts and whether each is valid (a failed CREATE INDEX CONCURRENTLY leaves one
-- that is not).
-- returns: IndexValidityRow
-- index: -
SELECT c.relname::text AS name, i.indisvalid AS valid
  FROM pg_index AS i
  JOIN pg_class AS c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'alerts'::regclass
 ORDER BY c.relname;
