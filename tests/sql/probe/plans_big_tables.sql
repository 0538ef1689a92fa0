-- name: plans_big_tables :many
-- Test probe (plans): the tables (and partitions) holding more than 10,000 rows, by the statistics.
-- returns: TableNameRow
-- index: -
SELECT c.relname::text AS name
  FROM pg_class c
 WHERE c.relkind = 'r' AND c.reltuples > 10000 AND c.relnamespace = 'public'::regnamespace
 ORDER BY c.relname;
