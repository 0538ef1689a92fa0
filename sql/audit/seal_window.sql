-- name: seal_window :one
-- The end of the next seal's window: the bound, but never past the end of the window's first month (a seal
-- lies in one month, so a purged month takes whole seals) and, when more than max_rows rows wait, at the
-- timestamp of the row after them (so a seal holds about max_rows rows). With the number of rows in the window.
-- $1 sealed_from timestamptz, $2 bound timestamptz, $3 max_rows bigint
-- returns: SealWindowRow
-- index: audit_logs_time_brin_idx
-- scope: all hospitals (the chain covers every hospital's rows)
WITH span AS (
    SELECT least($2, (date_trunc('month', $1 AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC') AS window_end,
           (date_trunc('month', $1 AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC' AS month_end
), cut AS (
    SELECT a."timestamp"
      FROM audit_logs a, span
     WHERE a."timestamp" >= $1 AND a."timestamp" < span.window_end
     ORDER BY a."timestamp"
    OFFSET $3 LIMIT 1
), bounded AS (
    SELECT CASE WHEN cut."timestamp" > $1 THEN cut."timestamp" ELSE span.window_end END AS sealed_to,
           span.month_end
      FROM span LEFT JOIN cut ON true
)
SELECT b.sealed_to,
       b.sealed_to = b.month_end AS ends_month,
       (SELECT count(*) FROM audit_logs a WHERE a."timestamp" >= $1 AND a."timestamp" < b.sealed_to) AS row_count
  FROM bounded b;
