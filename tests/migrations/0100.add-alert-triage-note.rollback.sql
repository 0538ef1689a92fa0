ALTER TABLE alerts DROP COLUMN triage_note;
