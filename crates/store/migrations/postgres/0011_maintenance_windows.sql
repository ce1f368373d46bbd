-- Maintenance windows: while one is active on an agent, its site or its
-- client, no alert is raised for the agent and nothing about it is notified.
CREATE TABLE maintenance_windows (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    target_id TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    weekly BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by_email TEXT NOT NULL
);
CREATE INDEX maintenance_windows_org ON maintenance_windows(organization_id, ends_at);
