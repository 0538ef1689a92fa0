-- name: plans_seed_hospitals :exec
-- Test probe (plans): 200 hospitals with their settings and 5 departments each, set-based.
-- index: -
-- scope: all hospitals (a data set of many hospitals, for the planner)
WITH made AS (
    INSERT INTO hospitals (name) SELECT 'Plans hospital ' || g FROM generate_series(1, 200) AS g RETURNING id
), settings AS (
    INSERT INTO hospital_settings (hospital_id) SELECT id FROM made
)
INSERT INTO departments (hospital_id, name, code)
SELECT m.id, 'Department ' || d, 'D' || d FROM made m CROSS JOIN generate_series(1, 5) AS d;
