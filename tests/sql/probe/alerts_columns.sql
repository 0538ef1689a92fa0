-- name: alerts_columns :many
-- Test probe: the columns of alerts, in order.
-- returns: TableNameRow
-- index: -
SELECT attname::text AS name
  FROM pg_attribute
 WHERE attrelid = 'alerts'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;
