-- name: index_names :many
-- Every index of the public schema; the catalogue check compares each SQL header's '-- index:' with it.
-- returns: NameRow
-- index: -
SELECT c.relname AS name
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('i', 'I')
 ORDER BY 1;
