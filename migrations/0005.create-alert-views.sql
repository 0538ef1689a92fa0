-- Alert visibility and the alert as the API shows it, each written once for every query that needs it.
--
-- alert_visible() is API.md's visibility rule: a caller whose scope is the whole hospital sees every alert;
-- a nurse or doctor sees the alerts of their own department, every alert escalated to level 1 or more, and
-- (doctors only) every critical alert. It is a plain SQL expression, so the planner inlines it into each query
-- and the indexes on alerts still serve them.
-- ack_timeout() is the hospital's acknowledgement timeout for a priority, for every statement that sets a
-- deadline (raising, escalating by hand or by time).
-- alert_details is an alert joined with its department, in the API's shape; reading through it keeps every
-- query's result columns the same.
-- depends: 0003.create-alerts

CREATE FUNCTION alert_visible(
    viewer_scope text, viewer_role text, viewer_department_id uuid,
    alert_department_id uuid, alert_priority text, alert_escalation_level integer
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN viewer_scope = 'hospital'
    OR alert_department_id = viewer_department_id
    OR alert_escalation_level >= 1
    OR (viewer_role = 'doctor' AND alert_priority = 'critical');
COMMENT ON FUNCTION alert_visible(text, text, uuid, uuid, text, integer) IS
    'API.md''s visibility rule. viewer_scope is the caller''s scope for alerts.view in the permission table (hospital or visible).';

CREATE FUNCTION ack_timeout(settings hospital_settings, priority text) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN make_interval(secs => CASE priority
    WHEN 'critical' THEN settings.ack_timeout_critical_seconds
    WHEN 'high'     THEN settings.ack_timeout_high_seconds
    WHEN 'medium'   THEN settings.ack_timeout_medium_seconds
    ELSE settings.ack_timeout_low_seconds END);
COMMENT ON FUNCTION ack_timeout(hospital_settings, text) IS
    'How long an alert of this priority may stay unacknowledged before it escalates: the hospital''s ackTimeoutSeconds[priority].';

CREATE VIEW alert_details AS
SELECT a.id, a.hospital_id, jsonb_build_object('id', d.id, 'name', d.name, 'code', d.code) AS department,
       a.title, a.description, a.priority, a.alert_type, a.room_number, a.status, a.escalation_level,
       a.created_by, a.acknowledged_by, a.acknowledged_at, a.resolved_by, a.resolved_at, a.cancel_reason,
       a.created_at, a.updated_at, a.expires_at,
       a.department_id, a.priority_rank
  FROM alerts a
  JOIN departments d ON d.hospital_id = a.hospital_id AND d.id = a.department_id;
COMMENT ON VIEW alert_details IS
    'An alert in the API''s shape (department as {id, name, code}), plus department_id and priority_rank for filters and order.';
