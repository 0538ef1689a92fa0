-- name: find_login_user :one
-- The account behind a login email, with what the login decision needs: no row for an unknown email.
-- $1 email text
-- returns: LoginUser
-- index: users_email_key
-- scope: all hospitals (login names no hospital: the email is unique across all of them)
SELECT u.id, u.hospital_id, u.password_hash, u.is_active,
       u.is_locked AND (u.lockout_until IS NULL OR u.lockout_until > now()) AS is_locked,
       u.two_factor_enabled,
       u.must_change_password,
       u.password_expires_at IS NOT NULL AND u.password_expires_at <= now() AS password_expired
  FROM users u
 WHERE u.email = $1;
