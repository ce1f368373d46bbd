-- Deleting an agent keeps its command history, the record of who ran what:
-- the agent's row goes (with its secret, samples and events), a tombstone with
-- its names stays, and commands no longer depend on the agent's row.
CREATE TABLE deleted_agents (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    hostname TEXT NOT NULL,
    client_name TEXT NOT NULL,
    site_name TEXT NOT NULL,
    os_name TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL,
    deleted_by_email TEXT NOT NULL
);
CREATE INDEX deleted_agents_org ON deleted_agents(organization_id, deleted_at);

ALTER TABLE commands DROP CONSTRAINT commands_agent_id_fkey;
