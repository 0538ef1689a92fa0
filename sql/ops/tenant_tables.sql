-- name: tenant_tables :many
-- The tables whose rows belong to one hospital: hospitals itself and every table with a hospital_id column
-- (partitions included). The catalogue check holds statements on them to the hospital-as-$1 rule.
-- returns: NameRow
-- index: -
SELECT c.relname AS name
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p')
   AND (c.relname = 'hospitals'
        OR EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attname = 'hospital_id' AND NOT a.attisdropped))
 ORDER BY 1;
