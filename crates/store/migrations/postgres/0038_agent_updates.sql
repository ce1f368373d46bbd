-- Agent self-updates: one row per attempt to bring an agent to a release
-- (offered, then the agent's and its watchdog's reports), and what the
-- watchdog reported (restarts, installs, rollbacks), deduplicated because an
-- agent resends a batch whose acknowledgement it did not get.
CREATE TABLE agent_updates (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    file TEXT NOT NULL,
    from_version TEXT NOT NULL,
    state TEXT NOT NULL,
    code TEXT,
    detail TEXT NOT NULL,
    requested_by_email TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agent_updates_agent ON agent_updates(agent_id, created_at);
CREATE INDEX agent_updates_organization ON agent_updates(organization_id, created_at);

CREATE TABLE agent_watchdog_events (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    detail TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (agent_id, at, kind, version, detail)
);
CREATE INDEX agent_watchdog_events_agent ON agent_watchdog_events(agent_id, at);
