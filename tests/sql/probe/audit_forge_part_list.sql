-- name: audit_forge_part_list :rows
-- Test probe: tampering with a part's stored list, after its triggers were disabled: row $2's entry gets the
-- digest of the row as it stands now, so that the list agrees with a changed row (and no longer hashes to the
-- part's hash, which the seal covers).
-- $1 hospital_id uuid, $2 row_id uuid
-- index: -
UPDATE audit_seal_parts p
   SET row_digests = (SELECT array_agg(CASE
                                           WHEN e.id = $2 THEN
                                               (SELECT audit_row_digest(a.id, a.user_id, a.hospital_id, a.action,
                                                                        a.resource, a.resource_id, a.outcome,
                                                                        a.ip_address, a.user_agent, a.session_id,
                                                                        a.metadata, a."timestamp", a.retention_until)
                                                  FROM audit_logs a
                                                 WHERE a.hospital_id = $1 AND a.id = $2)
                                           ELSE e.digest
                                       END ORDER BY e.ord)
                        FROM unnest(p.row_ids, p.row_digests) WITH ORDINALITY AS e(id, digest, ord))
 WHERE p.hospital_id = $1 AND $2 = ANY (p.row_ids);
