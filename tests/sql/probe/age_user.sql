-- name: age_user :rows
-- Test probe (a clock moved forward for one user): its lock, temporary password and 2FA challenges move back.
-- $1 hospital_id uuid, $2 user_id uuid, $3 by interval
-- index: -
WITH challenges AS (
    UPDATE login_challenges
       SET created_at = created_at - $3::interval, expires_at = expires_at - $3::interval
     WHERE hospital_id = $1 AND user_id = $2
)
UPDATE users
   SET lockout_until = lockout_until - $3::interval, password_expires_at = password_expires_at - $3::interval
 WHERE hospital_id = $1 AND id = $2;
