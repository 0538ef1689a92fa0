-- name: bookkeeping_tables :many
-- Test probe: yoyo's bookkeeping tables, if any (a read-only command must not have created them).
-- returns: TableNameRow
-- index: -
SELECT c.relname AS name
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
   AND (c.relname LIKE '\_yoyo%' OR c.relname = 'yoyo_lock')
 ORDER BY 1;
