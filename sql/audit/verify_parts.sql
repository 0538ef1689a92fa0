-- name: verify_parts :one
-- The compliance report's check of one hospital's sealed rows, seal by seal: one slice of the seals from
-- first_seq to last_seq (those with seq % slices = slice), so that several connections share the work. In
-- each seal's window, the hospital's rows, in ("timestamp", id) order, must be exactly its part's lists of ids
-- and digests, and the lists must hash to the part's hash, which the seal's hash covers. A window where the
-- hospital has no part must hold none of its rows (one there was inserted); a part whose rows are all gone
-- is lawful once its seal's kept_until has passed (the retention purge). The verdict verify_seals (with
-- part lists) and verify_rows give for these seals and rows, without their join of a million rows with a
-- million sealed entries (PostgreSQL 15 runs that full join in one process), but it says only whether all
-- is intact: on any fault the caller runs those two, which name the first bad seal or row.
-- $1 hospital_id uuid, $2 first_seq bigint, $3 last_seq bigint, $4 slices bigint, $5 slice bigint
-- returns: PartCheckRow
-- index: audit_seals_pkey, audit_seal_parts_key, audit_logs_hospital_time_idx
SELECT count(*) AS checked_seals,
       coalesce(sum(r.row_count), 0)::bigint AS checked_rows,
       coalesce(bool_and(CASE
                             WHEN p.seq IS NULL THEN r.row_count = 0
                             WHEN audit_part_hash(p.row_ids, p.row_digests) <> p.part_hash THEN false
                             WHEN r.row_count = 0 THEN s.kept_until <= now()
                             ELSE r.row_count = p.row_count AND r.row_ids = p.row_ids AND r.row_digests = p.row_digests
                         END), true) AS intact
  FROM audit_seals s
  LEFT JOIN audit_seal_parts p ON p.seq = s.seq AND p.hospital_id = $1
 CROSS JOIN LATERAL (
       SELECT count(*) AS row_count,
              array_agg(a.id ORDER BY a."timestamp", a.id) AS row_ids,
              array_agg(audit_row_digest(a.id, a.user_id, a.hospital_id, a.action, a.resource, a.resource_id,
                                         a.outcome, a.ip_address, a.user_agent, a.session_id, a.metadata,
                                         a."timestamp", a.retention_until)
                        ORDER BY a."timestamp", a.id) AS row_digests
         FROM audit_logs a
        WHERE a.hospital_id = $1 AND a."timestamp" >= s.sealed_from AND a."timestamp" < s.sealed_to) AS r
 WHERE s.seq BETWEEN $2 AND $3 AND s.seq % $4 = $5;
