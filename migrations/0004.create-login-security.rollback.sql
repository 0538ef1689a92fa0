-- Undo 0004.create-login-security: drops the login challenges and the login rate limit.

DROP TABLE login_rate_limits;
DROP TABLE login_challenges;
