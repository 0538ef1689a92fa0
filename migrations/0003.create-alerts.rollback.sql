-- Undo 0003.create-alerts: drops alerts, their escalations and events.

DROP TABLE alert_events;
DROP TABLE alert_escalations;
DROP TABLE alerts;
