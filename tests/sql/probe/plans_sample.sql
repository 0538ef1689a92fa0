-- name: plans_sample :one
-- Test probe (plans): ids of one hospital of the data set to plan the statements with: a department, a user and
-- a session's token hash.
-- returns: PlanSampleRow
-- index: -
-- scope: all hospitals (picks one hospital of the data set)
SELECT d.hospital_id, d.id AS department_id, u.id AS user_id, s.token_hash
  FROM departments d
  JOIN users u ON u.hospital_id = d.hospital_id AND u.department_id = d.id
  JOIN sessions s ON s.hospital_id = u.hospital_id AND s.user_id = u.id
 WHERE d.name LIKE 'Department %'
 LIMIT 1;
