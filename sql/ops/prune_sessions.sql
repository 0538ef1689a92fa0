-- name: prune_sessions :rows
-- Deletes sessions whose absolute expiry passed more than a day ago (a revoked session too: every session
-- expires 12 hours after login). They can never authenticate again, and audit rows keep their ids; the day
-- of grace keeps a just-ended session visible to whoever investigates it.
-- index: sessions_expires_idx
-- scope: all hospitals (the maintenance loop serves every hospital)
DELETE FROM sessions
 WHERE expires_at < now() - interval '1 day';
