-- name: audit_age_user_logins :rows
-- Test probe (a user last seen long ago): its creation and last login move back.
-- $1 hospital_id uuid, $2 user_id uuid, $3 by interval
-- index: users_hospital_id_key
UPDATE users
   SET created_at = created_at - $3::interval, last_login_at = last_login_at - $3::interval
 WHERE hospital_id = $1 AND id = $2;
