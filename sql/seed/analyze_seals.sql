-- name: analyze_seals :utility
-- hospital-alerts seed, last step: statistics of the seals just written (the audit trail was vacuumed and
-- analyzed before sealing, which only reads it).
-- index: -
ANALYZE audit_seals, audit_seal_parts;
