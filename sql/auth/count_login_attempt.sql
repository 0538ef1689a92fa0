-- name: count_login_attempt :one
-- Counts one login attempt from a client address in the current minute, for every service process at once;
-- returns the count so far and the seconds until the window ends (the Retry-After of a refusal).
-- $1 client_address inet
-- returns: AttemptCount
-- index: login_rate_limits_pkey
INSERT INTO login_rate_limits AS r (client_address, window_start, attempts)
VALUES ($1, date_trunc('minute', now()), 1)
ON CONFLICT (client_address, window_start) DO UPDATE SET attempts = r.attempts + 1
RETURNING r.attempts,
          greatest(1, ceil(extract(epoch FROM r.window_start + interval '1 minute' - now())))::integer AS retry_after;
