-- name: verify_parts :one
-- The compliance report's check of one hospital's sealed rows, part by part: one slice of the seals from
-- first_seq to last_seq (those with seq % slices = slice), so that several connections share the work. For each of the
-- hospital's parts in the slice, its rows in the seal's window, in ("timestamp", id) order, must hash to the
-- part's hash as the sealer computed it (audit_part_hash over each row's id and digest), which the seal's own
-- hash covers; a part whose rows are all gone is lawful once its seal's kept_until has passed (the retention
-- purge). verify_span_rows then checks that no row of the span lies outside these parts. Says only whether
-- all is intact; on any fault the caller runs verify_rows, which names the first bad row.
-- $1 hospital_id uuid, $2 first_seq bigint, $3 last_seq bigint, $4 slices bigint, $5 slice bigint
-- returns: PartCheckRow
-- index: audit_seals_pkey, audit_seal_parts_key, audit_logs_hospital_time_idx
SELECT count(*) AS checked_parts,
       coalesce(sum(r.row_count), 0)::bigint AS checked_rows,
       coalesce(bool_and(CASE
                             WHEN r.row_count = 0 THEN s.kept_until <= now()
                             ELSE r.row_count = p.row_count AND r.part_hash = p.part_hash
                         END), true) AS intact
  FROM audit_seals s
  JOIN audit_seal_parts p ON p.seq = s.seq AND p.hospital_id = $1
 CROSS JOIN LATERAL (
       SELECT count(*) AS row_count,
              sha256(coalesce(string_agg(uuid_send(a.id)
                                         || audit_row_digest(a.id, a.user_id, a.hospital_id, a.action, a.resource,
                                                             a.resource_id, a.outcome, a.ip_address, a.user_agent,
                                                             a.session_id, a.metadata, a."timestamp",
                                                             a.retention_until),
                                         ''::bytea ORDER BY a."timestamp", a.id), ''::bytea)) AS part_hash
         FROM audit_logs a
        WHERE a.hospital_id = $1 AND a."timestamp" >= s.sealed_from AND a."timestamp" < s.sealed_to) AS r
 WHERE s.seq BETWEEN $2 AND $3 AND s.seq % $4 = $5;
