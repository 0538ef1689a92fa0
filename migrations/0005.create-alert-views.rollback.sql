-- Undo 0005.create-alert-views: drops the alert view, the acknowledgement timeout and the visibility rule.

DROP VIEW alert_details;
DROP FUNCTION ack_timeout(hospital_settings, text);
DROP FUNCTION alert_visible(text, text, uuid, uuid, text, integer);
