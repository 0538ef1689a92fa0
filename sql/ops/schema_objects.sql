-- name: schema_objects :many
-- Every object of the public schema (tables, columns, constraints, indexes, functions, triggers, views,
-- row-level security policies, sequences, types, comments) and the database's extensions, with their full
-- definitions, except yoyo's own bookkeeping tables. Two equal lists mean two equal schemas: the migration
-- round-trip test compares them.
-- returns: SchemaObjectRow
-- index: -
WITH tables AS (
    SELECT c.oid, c.relname, c.relkind
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace
       AND c.relkind IN ('r', 'p')
       AND c.relname NOT LIKE '\_yoyo%' AND c.relname <> 'yoyo_lock'
)
SELECT 'table' AS kind, t.relname AS name,
       concat_ws(' | ', t.relkind::text, pg_get_expr(c.relpartbound, c.oid), obj_description(t.oid, 'pg_class')) AS definition
  FROM tables t JOIN pg_class c ON c.oid = t.oid
UNION ALL
SELECT 'column', t.relname || '.' || a.attname,
       concat_ws(' | ', a.attnum::text, format_type(a.atttypid, a.atttypmod),
                 CASE WHEN a.attnotnull THEN 'not null' END, pg_get_expr(d.adbin, d.adrelid),
                 NULLIF(a.attidentity, ''), NULLIF(a.attgenerated, ''), col_description(t.oid, a.attnum))
  FROM tables t
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
UNION ALL
SELECT 'constraint', t.relname || '.' || k.conname,
       concat_ws(' | ', pg_get_constraintdef(k.oid), obj_description(k.oid, 'pg_constraint'))
  FROM tables t JOIN pg_constraint k ON k.conrelid = t.oid
UNION ALL
SELECT 'index', i.relname, concat_ws(' | ', pg_get_indexdef(i.oid), obj_description(i.oid, 'pg_class'))
  FROM tables t JOIN pg_index x ON x.indrelid = t.oid JOIN pg_class i ON i.oid = x.indexrelid
UNION ALL
SELECT 'function', p.oid::regprocedure::text, concat_ws(' | ', pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc'))
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', t.relname || '.' || g.tgname, pg_get_triggerdef(g.oid)
  FROM tables t JOIN pg_trigger g ON g.tgrelid = t.oid AND NOT g.tgisinternal
UNION ALL
SELECT 'sequence', s.relname, format_type(q.seqtypid, NULL)
  FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
 WHERE s.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'view', v.relname, concat_ws(' | ', v.relkind::text, pg_get_viewdef(v.oid), obj_description(v.oid, 'pg_class'))
  FROM pg_class v
 WHERE v.relnamespace = 'public'::regnamespace AND v.relkind IN ('v', 'm')
UNION ALL
SELECT 'policy', t.relname || '.' || p.polname,
       concat_ws(' | ', p.polcmd::text, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
  FROM tables t JOIN pg_policy p ON p.polrelid = t.oid
UNION ALL
SELECT 'row security', t.relname, concat_ws(' | ', c.relrowsecurity::text, c.relforcerowsecurity::text)
  FROM tables t JOIN pg_class c ON c.oid = t.oid
 WHERE c.relrowsecurity OR c.relforcerowsecurity
UNION ALL
SELECT 'extension', e.extname, e.extversion
  FROM pg_extension e
 WHERE e.extname <> 'plpgsql'
UNION ALL
SELECT 'type', y.typname, y.typtype::text
  FROM pg_type y
 WHERE y.typnamespace = 'public'::regnamespace AND y.typtype IN ('e', 'd', 'c') AND y.typrelid = 0
 ORDER BY 1, 2, 3;
