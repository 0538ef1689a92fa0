-- name: database_clock :one
-- The database server's clock at this instant (clock_timestamp, not the transaction's start): hospital-alerts
-- check compares it with the service's clock, since the service stamps times (token expiries, exports) that the
-- database compares with now().
-- returns: ClockRow
-- index: -
SELECT clock_timestamp() AS now;
