-- name: verify_seals :one
-- audit verify, part 1: the chain. Each seal whose window meets [$2, $3) (null: unbounded) must follow the
-- seal before it (its hash, its window's end), count the rows of its parts, and hash to its stored hash.
-- With part_lists, the parts of hospital $1 (null: every hospital) must also hash their stored lists of
-- rows, which verify_rows compares with the rows (the compliance report's verify_parts hashes the rows
-- themselves and needs no list). Names the first bad seal.
-- $1 hospital_id uuid, $2 from_time timestamptz, $3 to_time timestamptz, $4 part_lists boolean
-- returns: SealCheckRow
-- index: audit_seals_sealed_to_idx, audit_seals_pkey, audit_seal_parts_key
-- scope: all hospitals (the command line verifies the whole chain; a hospital's check still needs every seal)
WITH chosen AS (
    SELECT s.seq, s.sealed_from, s.sealed_to, s.row_count, s.kept_until, s.prev_hash, s.seal_hash
      FROM audit_seals s
     WHERE s.sealed_to > coalesce($2::timestamptz, '-infinity') AND s.sealed_from < coalesce($3::timestamptz, 'infinity')
), parts AS (
    SELECT p.seq,
           sum(p.row_count) AS row_count,
           string_agg(audit_part_entry(p.hospital_id, p.row_count, p.part_hash), ''::bytea
                      ORDER BY p.hospital_id NULLS FIRST) AS entries,
           bool_and(NOT $4::boolean OR NOT ($1::uuid IS NULL OR p.hospital_id = $1)
                    OR audit_part_hash(p.row_ids, p.row_digests) = p.part_hash) AS parts_match
      FROM audit_seal_parts p
      JOIN chosen c ON c.seq = p.seq
     GROUP BY p.seq
), checked AS (
    SELECT c.seq,
           CASE
               WHEN c.seq > 1 AND b.seq IS NULL THEN 'the seal before it is missing'
               WHEN c.prev_hash <> coalesce(b.seal_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                   THEN 'its previous hash is not the hash of the seal before it'
               WHEN b.seq IS NOT NULL AND c.sealed_from <> b.sealed_to
                   THEN 'its window does not start where the seal before it ends'
               WHEN NOT coalesce(p.parts_match, true) THEN 'a part''s hash does not match its list of rows'
               WHEN c.row_count <> coalesce(p.row_count, 0) THEN 'its row count does not match its parts'
               WHEN c.seal_hash <> audit_seal_hash(c.prev_hash, c.seq, c.sealed_from, c.sealed_to, c.row_count,
                                                   c.kept_until, coalesce(p.entries, ''::bytea))
                   THEN 'its hash does not match its contents'
           END AS problem
      FROM chosen c
      LEFT JOIN audit_seals b ON b.seq = c.seq - 1
      LEFT JOIN parts p ON p.seq = c.seq
)
SELECT (SELECT count(*) FROM checked) AS checked_seals, bad.seq AS bad_seq, bad.problem
  FROM (SELECT 1) AS one
  LEFT JOIN (SELECT k.seq, k.problem FROM checked k WHERE k.problem IS NOT NULL ORDER BY k.seq LIMIT 1) AS bad ON true;
