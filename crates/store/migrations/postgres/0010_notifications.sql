-- Notifications: channels (their secrets sealed by the server before they get
-- here), the durable outbox of deliveries with every attempt, and on each alert
-- what has been handed to the outbox, so each event is enqueued exactly once.
CREATE TABLE notification_channels (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    subject_template TEXT,
    body_template TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organization_id, name)
);

CREATE TABLE notification_deliveries (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
    alert_id TEXT,
    event TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX notification_deliveries_due ON notification_deliveries(status, next_attempt_at);
CREATE INDEX notification_deliveries_org ON notification_deliveries(organization_id, created_at);
CREATE INDEX notification_deliveries_alert ON notification_deliveries(alert_id);

CREATE TABLE notification_attempts (
    delivery_id TEXT NOT NULL REFERENCES notification_deliveries(id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- The alert's status last handed to the outbox (NULL: nothing yet) and when.
ALTER TABLE alerts ADD COLUMN notified_status TEXT;
ALTER TABLE alerts ADD COLUMN notified_at BIGINT;
CREATE INDEX alerts_notify ON alerts(status, notified_status);
