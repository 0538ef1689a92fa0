-- name: prune_login_rate_limits :rows
-- Deletes login rate windows older than an hour (only the current minute's counts).
-- index: login_rate_limits_window_idx
DELETE FROM login_rate_limits
 WHERE window_start < now() - interval '1 hour';
