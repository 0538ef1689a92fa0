-- name: backend_pid :one
-- Test probe: the server process behind a connection (a new one means the connection was replaced).
-- returns: BackendPidRow
-- index: -
SELECT pg_backend_pid() AS pid;
