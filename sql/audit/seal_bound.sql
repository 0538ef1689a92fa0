-- name: seal_bound :one
-- Where the next seal starts (the last seal's end, or the oldest row before the first seal) and how far it may
-- reach: no later than $1 seconds ago, and before the start of every transaction still open in this database,
-- since it may yet commit rows stamped with its start time (now()). Only transactions that say they cannot
-- write audit rows are not waited for: the service's long readers (mark_reader) and pg_dump. Waiting for any
-- other (a DBA's open psql transaction) delays sealing but can never seal a window a row may still enter.
-- Run before the statement that seals, so that statement's snapshot sees every row the bound admits.
-- $1 settle_seconds double precision
-- returns: SealBoundRow
-- index: audit_seals_pkey
-- scope: all hospitals (the chain covers every hospital's rows)
SELECT coalesce(last.seq, 0) AS last_seq,
       coalesce(last.seal_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea) AS last_hash,
       coalesce(last.sealed_to, (SELECT min(a."timestamp") FROM audit_logs a)) AS sealed_from,
       least(clock_timestamp() - make_interval(secs => $1),
             (SELECT min(t.xact_start)
                FROM pg_stat_activity t
               WHERE t.datname = current_database()
                 AND t.backend_type = 'client backend'
                 AND t.application_name NOT IN ('hospital-alerts reader', 'pg_dump')
                 AND t.pid <> pg_backend_pid())) AS bound
  FROM (SELECT 1) AS one
  LEFT JOIN (SELECT s.seq, s.seal_hash, s.sealed_to FROM audit_seals s ORDER BY s.seq DESC LIMIT 1) AS last ON true;
