-- The user as the API shows it, written once for every query that reads users that way.
--
-- user_details is a user with its department as {id, name, code} (or null), its lock as it stands now (a lock
-- whose time has passed is no lock, and shows no lockout time), and department_id for filters. Reading through
-- it keeps every query's result columns and lock rule the same; the planner expands it, so the indexes on
-- users still serve each query.
-- depends: 0005.create-alert-views

CREATE VIEW user_details AS
SELECT u.id, u.hospital_id, u.email, u.name, u.role,
       CASE WHEN d.id IS NULL THEN NULL ELSE jsonb_build_object('id', d.id, 'name', d.name, 'code', d.code) END AS department,
       u.license_number, u.specialization, u.shift_schedule, u.is_active,
       u.is_locked AND (u.lockout_until IS NULL OR u.lockout_until > now()) AS is_locked,
       CASE WHEN u.is_locked AND u.lockout_until > now() THEN u.lockout_until END AS lockout_until,
       u.two_factor_enabled, u.last_login_at, u.created_at, u.updated_at,
       u.department_id
  FROM users u
  LEFT JOIN departments d ON d.hospital_id = u.hospital_id AND d.id = u.department_id;
COMMENT ON VIEW user_details IS
    'A user in the API''s shape: department as {id, name, code}, the lock as it stands now; plus department_id for filters. Never a secret column.';
