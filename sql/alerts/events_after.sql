-- name: events_after :many
-- The hospital's events after an id (up to another, when given), oldest first, each with the visibility rule
-- applied for every kind of viewer listening (the arrays: one viewer per position), so one read serves every
-- subscriber of a process. data is the event's payload as JSON text, sent to clients as it is.
-- $1 hospital_id uuid, $2 after_id bigint, $3 up_to_id bigint, $4 viewer_scopes text[], $5 viewer_roles text[], $6 viewer_department_ids uuid[], $7 row_limit bigint
-- returns: StreamEventRow
-- index: alert_events_hospital_id_idx
SELECT e.id, e.event_type, e.payload::text AS data,
       ARRAY(SELECT alert_visible(v.scope, v.role, v.department_id, e.department_id, e.priority, e.escalation_level)
               FROM unnest($4::text[], $5::text[], $6::uuid[]) WITH ORDINALITY AS v (scope, role, department_id, n)
              ORDER BY v.n) AS visible_to
  FROM alert_events e
 WHERE e.hospital_id = $1 AND e.id > $2 AND ($3::bigint IS NULL OR e.id <= $3)
 ORDER BY e.id
 LIMIT $7;
