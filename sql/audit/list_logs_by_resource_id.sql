-- name: list_logs_by_resource_id :many
-- GET /audit/logs filtered by resourceId (and any others), newest first, keyset-paginated on ("timestamp", id): the cursor
-- ($4, $5) is the last row of the previous page (null: the first page). from is inclusive, to exclusive;
-- every other filter is optional (null: any). Asks for one row more than a page, to tell whether one follows.
-- The service picks, of the six list_logs* statements, the one whose index leads with the most selective filter.
-- $1 hospital_id uuid, $2 from_time timestamptz, $3 to_time timestamptz, $4 before_time timestamptz, $5 before_id uuid, $6 user_id uuid, $7 action text, $8 resource text, $9 resource_id text, $10 outcome text, $11 row_limit bigint
-- returns: AuditLogRow
-- index: audit_logs_hospital_resource_id_time_idx
SELECT id, user_id, hospital_id, action, resource, resource_id, outcome, ip_address, user_agent, session_id,
       metadata, "timestamp", retention_until
  FROM audit_logs
 WHERE hospital_id = $1
   AND resource_id = $9
   AND "timestamp" >= coalesce($2::timestamptz, '-infinity') AND "timestamp" < coalesce($3::timestamptz, 'infinity')
   AND "timestamp" <= coalesce($4::timestamptz, 'infinity')
   AND ("timestamp", id) < (coalesce($4::timestamptz, 'infinity'), coalesce($5::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
   AND ($6::uuid IS NULL OR user_id = $6)
   AND ($7::text IS NULL OR action = $7)
   AND ($8::text IS NULL OR resource = $8)
   AND ($10::text IS NULL OR outcome = $10)
 ORDER BY "timestamp" DESC, id DESC
 LIMIT $11;
