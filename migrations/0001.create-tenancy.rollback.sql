-- Undo 0001.create-tenancy: drops the tenancy tables (and every row in them).

DROP TABLE sessions;
DROP TABLE users;
DROP TABLE departments;
DROP TABLE hospital_settings;
DROP TABLE hospitals;
