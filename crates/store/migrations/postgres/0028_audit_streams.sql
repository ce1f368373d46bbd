-- Streaming an organization's audit log to its SIEM: one HTTPS endpoint per
-- organization, sent every event in chain order, at least once. The cursor
-- is the last event the endpoint accepted (a 2xx), so a restart resumes
-- where the last acknowledged batch ended; a server stopped between a
-- receiver's 2xx and the cursor's write sends that batch again (receivers
-- drop repeats by organization and seq). The signing secret is sealed with
-- the server's key.
CREATE TABLE audit_streams (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    cursor_seq BIGINT NOT NULL,
    last_delivered_at BIGINT,
    failures BIGINT NOT NULL,
    last_error TEXT,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
