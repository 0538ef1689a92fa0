-- Undo 0005.create-alert-views: drops the alert view and the visibility rule.

DROP VIEW alert_details;
DROP FUNCTION alert_visible(text, text, uuid, uuid, text, integer);
