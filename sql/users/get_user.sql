-- name: get_user :one
-- One user of a hospital as the API shows it (with its department); no row for another hospital's user.
-- $1 hospital_id uuid, $2 user_id uuid
-- returns: UserRow
-- index: users_hospital_id_key
SELECT id, hospital_id, email, name, role, department, license_number, specialization, shift_schedule,
       is_active, is_locked, lockout_until, two_factor_enabled, last_login_at, created_at, updated_at
  FROM user_details
 WHERE hospital_id = $1 AND id = $2;
