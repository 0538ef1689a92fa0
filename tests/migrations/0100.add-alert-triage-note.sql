-- Test migration: adds a column to alerts, which takes alerts' ACCESS EXCLUSIVE lock for an instant; the
-- runner's lock_timeout makes it give up instead of queueing every alert request behind a long reader.
-- depends: 0007.create-audit-seals
ALTER TABLE alerts ADD COLUMN triage_note text;
