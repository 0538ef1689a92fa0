-- name: seal_rows :one
-- Seals every audit row with $3 <= "timestamp" < $4 as seal $1 after the seal whose hash is $2: per hospital,
-- the rows' ids and digests in ("timestamp", id) order and their hash (audit_seal_parts), and the seal's hash
-- over its parts and $2, with the latest retention date of its rows (audit_seals). Reads committed rows only;
-- takes no lock a request waits on.
-- $1 seq bigint, $2 prev_hash bytea, $3 sealed_from timestamptz, $4 sealed_to timestamptz
-- returns: SealRow
-- index: audit_logs_time_brin_idx
-- scope: all hospitals (the chain covers every hospital's rows)
WITH sealed AS (
    SELECT a.hospital_id, a.id, a."timestamp", a.retention_until,
           audit_row_digest(a.id, a.user_id, a.hospital_id, a.action, a.resource, a.resource_id, a.outcome,
                            a.ip_address, a.user_agent, a.session_id, a.metadata, a."timestamp", a.retention_until)
               AS digest
      FROM audit_logs a
     WHERE a."timestamp" >= $3 AND a."timestamp" < $4
), parts AS (
    SELECT s.hospital_id, count(*)::integer AS row_count, max(s.retention_until) AS kept_until,
           array_agg(s.id ORDER BY s."timestamp", s.id) AS row_ids,
           array_agg(s.digest ORDER BY s."timestamp", s.id) AS row_digests
      FROM sealed s
     GROUP BY s.hospital_id
), hashed AS (
    SELECT p.hospital_id, p.row_count, p.kept_until, p.row_ids, p.row_digests,
           audit_part_hash(p.row_ids, p.row_digests) AS part_hash
      FROM parts p
), seal AS (
    INSERT INTO audit_seals (seq, sealed_from, sealed_to, row_count, kept_until, prev_hash, seal_hash)
    SELECT $1, $3, $4, coalesce(sum(h.row_count), 0), max(h.kept_until), $2,
           audit_seal_hash($2, $1, $3, $4, coalesce(sum(h.row_count), 0), max(h.kept_until),
                           coalesce(string_agg(audit_part_entry(h.hospital_id, h.row_count, h.part_hash), ''::bytea
                                               ORDER BY h.hospital_id NULLS FIRST), ''::bytea))
      FROM hashed h
    RETURNING seq, row_count, seal_hash, sealed_to
), stored AS (
    INSERT INTO audit_seal_parts (seq, hospital_id, row_count, row_ids, row_digests, part_hash)
    SELECT $1, h.hospital_id, h.row_count, h.row_ids, h.row_digests, h.part_hash
      FROM hashed h
)
SELECT seq, row_count, seal_hash, sealed_to FROM seal;
