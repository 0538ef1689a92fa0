-- name: expire_due :one
-- The expiry loop's step: claims one open alert whose expires_at has passed (skipping any another process
-- holds) and resolves it with no user. No row when nothing is due.
-- Its times never go back before the alert's last change (greatest(now(), updated_at)): a change that waited
-- for another's row lock commits after it, so updatedAt and the escalation times follow the events' order.
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
   SET status = 'resolved', resolved_by = NULL, resolved_at = greatest(now(), a.updated_at), next_escalation_at = NULL,
       updated_at = greatest(now(), a.updated_at)
  FROM due
 WHERE a.id = due.id
RETURNING a.hospital_id, a.id;
