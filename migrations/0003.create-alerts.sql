-- Alerts, their escalation history and the event log the real-time stream replays from.
-- depends: 0001.create-tenancy

CREATE TABLE alerts (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    hospital_id        uuid        NOT NULL REFERENCES hospitals (id) ON DELETE RESTRICT,
    department_id      uuid        NOT NULL,
    title              text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description        text        CHECK (char_length(description) <= 2000),
    priority           text        NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    priority_rank      smallint    NOT NULL GENERATED ALWAYS AS (
                                       CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END
                                   ) STORED,
    alert_type         text        NOT NULL CHECK (alert_type IN ('medical', 'security', 'fire', 'other')),
    room_number        text        CHECK (char_length(room_number) <= 20),
    status             text        NOT NULL DEFAULT 'active'
                                   CHECK (status IN ('active', 'acknowledged', 'resolved', 'cancelled')),
    escalation_level   integer     NOT NULL DEFAULT 0 CHECK (escalation_level BETWEEN 0 AND 10),
    next_escalation_at timestamptz,
    created_by         uuid,
    acknowledged_by    uuid,
    acknowledged_at    timestamptz,
    resolved_by        uuid,
    resolved_at        timestamptz,
    cancelled_by       uuid,
    cancelled_at       timestamptz,
    cancel_reason      text        CHECK (char_length(cancel_reason) <= 500),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz,
    CONSTRAINT alerts_hospital_id_key UNIQUE (hospital_id, id),
    CONSTRAINT alerts_department_fkey FOREIGN KEY (hospital_id, department_id)
        REFERENCES departments (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT alerts_created_by_fkey FOREIGN KEY (hospital_id, created_by)
        REFERENCES users (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT alerts_acknowledged_by_fkey FOREIGN KEY (hospital_id, acknowledged_by)
        REFERENCES users (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT alerts_resolved_by_fkey FOREIGN KEY (hospital_id, resolved_by)
        REFERENCES users (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT alerts_cancelled_by_fkey FOREIGN KEY (hospital_id, cancelled_by)
        REFERENCES users (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT alerts_deadline_check CHECK (status = 'active' OR next_escalation_at IS NULL),
    CONSTRAINT alerts_acknowledged_check CHECK (status <> 'acknowledged' OR acknowledged_at IS NOT NULL),
    CONSTRAINT alerts_resolved_check CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CONSTRAINT alerts_cancelled_check CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CONSTRAINT alerts_expiry_check CHECK (expires_at > created_at)
);
COMMENT ON TABLE alerts IS
    'Staff alerts. Open while active or acknowledged; resolved or cancelled is final. Kept, never deleted (history and reports).';
COMMENT ON COLUMN alerts.priority_rank IS 'critical 0 .. low 3: the active list''s order, derived from priority so that an index can serve it.';
COMMENT ON COLUMN alerts.escalation_level IS 'Raised by one per escalation (timeout or by hand), up to hospital_settings.max_escalation_level.';
COMMENT ON COLUMN alerts.next_escalation_at IS
    'When an unacknowledged alert escalates next: creation or last escalation plus ack_timeout_<priority>_seconds. Null once acknowledged, closed or at the maximum level.';
COMMENT ON COLUMN alerts.created_by IS 'User who raised the alert; null only for alerts raised by an integration.';
COMMENT ON COLUMN alerts.resolved_by IS 'Null when the system resolved the alert at expires_at.';
COMMENT ON COLUMN alerts.expires_at IS 'When a still-open alert is resolved by the system.';

-- GET /alerts/active and the stream's visibility: only open alerts, by hospital and department,
-- in the list's order (critical first, newest first). Closed alerts are not in this index.
CREATE INDEX alerts_open_idx ON alerts (hospital_id, priority_rank, created_at DESC, id DESC)
    WHERE status IN ('active', 'acknowledged');
CREATE INDEX alerts_open_department_idx ON alerts (hospital_id, department_id, priority_rank, created_at DESC, id DESC)
    WHERE status IN ('active', 'acknowledged');
-- Escalation loop (all hospitals): active alerts whose deadline has passed.
CREATE INDEX alerts_escalation_due_idx ON alerts (next_escalation_at) WHERE status = 'active' AND next_escalation_at IS NOT NULL;
-- Expiry loop (all hospitals): open alerts whose expires_at has passed.
CREATE INDEX alerts_expiry_due_idx ON alerts (expires_at) WHERE status IN ('active', 'acknowledged') AND expires_at IS NOT NULL;
-- GET /alerts (history): one hospital, newest first, keyset on (created_at, id); and by department.
CREATE INDEX alerts_hospital_created_idx ON alerts (hospital_id, created_at DESC, id DESC);
CREATE INDEX alerts_hospital_department_created_idx ON alerts (hospital_id, department_id, created_at DESC, id DESC);

CREATE TABLE alert_escalations (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    hospital_id  uuid        NOT NULL,
    alert_id     uuid        NOT NULL,
    from_level   integer     NOT NULL CHECK (from_level >= 0),
    to_level     integer     NOT NULL CHECK (to_level BETWEEN 1 AND 10),
    reason       text        NOT NULL CHECK (reason IN ('timeout', 'manual', 'no_response')),
    note         text        CHECK (char_length(note) <= 500),
    escalated_by uuid,
    escalated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_escalations_alert_fkey FOREIGN KEY (hospital_id, alert_id)
        REFERENCES alerts (hospital_id, id) ON DELETE CASCADE,
    CONSTRAINT alert_escalations_user_fkey FOREIGN KEY (hospital_id, escalated_by)
        REFERENCES users (hospital_id, id) ON DELETE RESTRICT,
    CONSTRAINT alert_escalations_alert_level_key UNIQUE (alert_id, to_level),
    CONSTRAINT alert_escalations_step_check CHECK (to_level = from_level + 1),
    CONSTRAINT alert_escalations_actor_check CHECK ((reason = 'manual') = (escalated_by IS NOT NULL))
);
COMMENT ON TABLE alert_escalations IS
    'One row per escalation step of an alert; part of the alert (deleted with it). escalated_by is null when the system escalated.';
COMMENT ON CONSTRAINT alert_escalations_alert_level_key ON alert_escalations IS
    'Each level is reached once: several escalation loops, or a loop and a person, cannot both raise the same level.';

-- GET /alerts/{id}: an alert's escalations in order; the compliance report's escalations by reason.
CREATE INDEX alert_escalations_hospital_alert_idx ON alert_escalations (hospital_id, alert_id, escalated_at);
CREATE INDEX alert_escalations_hospital_time_idx ON alert_escalations (hospital_id, escalated_at);

CREATE TABLE alert_events (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hospital_id      uuid        NOT NULL,
    alert_id         uuid        NOT NULL,
    event_type       text        NOT NULL CHECK (event_type IN
                                     ('alert.created', 'alert.acknowledged', 'alert.resolved', 'alert.cancelled', 'alert.escalated')),
    department_id    uuid        NOT NULL,
    priority         text        NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    escalation_level integer     NOT NULL CHECK (escalation_level BETWEEN 0 AND 10),
    payload          jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_events_alert_fkey FOREIGN KEY (hospital_id, alert_id)
        REFERENCES alerts (hospital_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE alert_events IS
    'Ordered log of alert changes, written in the same transaction as the change; the stream delivers and replays it (Last-Event-ID = id). Kept 24 hours.';
COMMENT ON COLUMN alert_events.payload IS 'The alert object (API shape) as it was after the change.';
COMMENT ON COLUMN alert_events.department_id IS 'Copied from the alert with priority and escalation_level, so visibility is decided without a join.';

-- Stream replay after Last-Event-ID, one hospital.
CREATE INDEX alert_events_hospital_id_idx ON alert_events (hospital_id, id);
-- Pruning events older than 24 hours (maintenance loop).
CREATE INDEX alert_events_created_idx ON alert_events (created_at);
