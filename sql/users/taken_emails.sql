-- name: taken_emails :many
-- Which of the given emails already belong to a user, in any hospital (emails are unique across hospitals
-- because login names no hospital). Only the emails asked about come back, never whose they are.
-- $1 emails text[]
-- returns: EmailRow
-- index: users_email_key
-- scope: all hospitals (an email is unique across hospitals: creating a user must see every hospital's)
SELECT email
  FROM users
 WHERE email = ANY ($1);
