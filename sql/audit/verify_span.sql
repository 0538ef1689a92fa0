-- name: verify_span :one
-- audit verify: the seals meeting [$1, $2) (null: unbounded), as the first and last seq, and the time range
-- whose rows they cover. From -infinity when $1 is null, so that a row inserted before the first seal is
-- checked too. Nulls when there is no seal. Seals and the rows of sealed windows never change lawfully, so
-- what this names holds for later snapshots too (a purge aside: it only removes rows past their retention).
-- $1 from_time timestamptz, $2 to_time timestamptz
-- returns: SpanRow
-- index: audit_seals_sealed_to_idx
-- scope: all hospitals (the seals cover every hospital)
SELECT CASE WHEN $1::timestamptz IS NULL AND count(*) > 0 THEN '-infinity' ELSE min(s.sealed_from) END AS from_time,
       max(s.sealed_to) AS to_time,
       min(s.seq) AS first_seq,
       max(s.seq) AS last_seq
  FROM audit_seals s
 WHERE s.sealed_to > coalesce($1::timestamptz, '-infinity') AND s.sealed_from < coalesce($2::timestamptz, 'infinity');
