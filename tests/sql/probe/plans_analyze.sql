-- name: plans_analyze :exec
-- Test probe (plans): fresh statistics, so the planner sees the data set as it is.
-- index: -
ANALYZE;
