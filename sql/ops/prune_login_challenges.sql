-- name: prune_login_challenges :rows
-- Deletes two-factor login challenges that expired more than an hour ago.
-- index: login_challenges_expires_idx
-- scope: all hospitals (the maintenance loop serves every hospital)
DELETE FROM login_challenges
 WHERE expires_at < now() - interval '1 hour';
