-- name: count_tables :one
-- How many tables the public schema holds: restore refuses a database that is not empty.
-- returns: CountRow
-- index: -
SELECT count(*) AS count
  FROM pg_class
 WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p');
