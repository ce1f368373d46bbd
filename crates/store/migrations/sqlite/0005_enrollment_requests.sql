-- A machine that enrolls again under a device id that already has an agent,
-- without proving that agent's secret, does not take the agent over: its
-- enrollment waits here, with a secret of its own, until an administrator
-- approves it (the agent then takes this secret, site and facts) or rejects it.
CREATE TABLE agent_enrollment_requests (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    hostname TEXT NOT NULL,
    os_family TEXT NOT NULL,
    os_name TEXT NOT NULL,
    os_version TEXT NOT NULL,
    os_kernel TEXT,
    arch TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    public_ip TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX agent_enrollment_requests_agent ON agent_enrollment_requests(agent_id, created_at);
CREATE INDEX agent_enrollment_requests_org ON agent_enrollment_requests(organization_id, created_at);
