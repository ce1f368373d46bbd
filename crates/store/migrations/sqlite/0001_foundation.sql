-- Foundation schema: tenancy (organizations, users, sessions, clients, sites),
-- agents with their presence and latest sample, agent events and metric samples.
-- Ids are UUID text; times are UTC milliseconds since the Unix epoch.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX clients_org_name ON clients(organization_id, name);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enrollment_key_hash TEXT UNIQUE,
    enrollment_key_created_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sites_client ON sites(client_id, name);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(id),
    site_id TEXT NOT NULL REFERENCES sites(id),
    device_id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    hostname TEXT NOT NULL,
    os_family TEXT NOT NULL,
    os_name TEXT NOT NULL,
    os_version TEXT NOT NULL,
    os_kernel TEXT,
    arch TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    public_ip TEXT,
    interfaces TEXT NOT NULL DEFAULT '[]',
    online BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen BIGINT,
    enrolled_at BIGINT NOT NULL,
    latest_sample TEXT,
    latest_sample_at BIGINT,
    cpu_percent REAL,
    memory_used_bytes BIGINT,
    memory_total_bytes BIGINT,
    UNIQUE (organization_id, device_id)
);
CREATE INDEX agents_org_hostname ON agents(organization_id, hostname);
CREATE INDEX agents_site ON agents(site_id);
CREATE INDEX agents_client ON agents(client_id);

CREATE TABLE agent_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX agent_events_agent ON agent_events(agent_id, created_at);

CREATE TABLE metric_samples (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    collected_at BIGINT NOT NULL,
    cpu_percent REAL,
    memory_used_bytes BIGINT,
    memory_total_bytes BIGINT,
    disk_used_bytes BIGINT,
    disk_total_bytes BIGINT,
    network_rx_bytes BIGINT,
    network_tx_bytes BIGINT,
    PRIMARY KEY (agent_id, collected_at)
);
CREATE INDEX metric_samples_time ON metric_samples(collected_at);
