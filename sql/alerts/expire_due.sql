-- name: expire_due :one
-- The expiry loop's step: claims one open alert whose expires_at has passed (skipping any another process
-- holds) and resolves it with no user. No row when nothing is due.
-- returns: DueExpiryRow
-- index: alerts_expiry_due_idx
-- scope: all hospitals (the background loop serves every hospital)
WITH due AS (
    SELECT id
      FROM alerts
     WHERE status IN ('active', 'acknowledged') AND expires_at <= now()
     ORDER BY expires_at
     LIMIT 1
       FOR UPDATE SKIP LOCKED
)
UPDATE alerts a
   SET status = 'resolved', resolved_by = NULL, resolved_at = now(), next_escalation_at = NULL, updated_at = now()
  FROM due
 WHERE a.id = due.id
RETURNING a.hospital_id, a.id;
