-- Network discovery (issue 17): scans an agent runs on its site's network,
-- and the devices they found. A scan's progress is the number of its
-- addresses below which every probe is done, so one interrupted by a
-- reconnect or a server restart goes on from there.
CREATE TABLE discovery_scans (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    -- Kept when the agent is deleted (the scan's history stays).
    agent_id TEXT NOT NULL,
    agent_hostname TEXT NOT NULL,
    -- JSON arrays, as requested.
    ranges TEXT NOT NULL,
    ports TEXT NOT NULL,
    timeout_ms BIGINT NOT NULL,
    rate_per_second BIGINT NOT NULL,
    -- queued, running, completed, cancelled or failed.
    status TEXT NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    hosts_found BIGINT NOT NULL,
    new_devices BIGINT NOT NULL,
    missing_devices BIGINT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by_email TEXT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX discovery_scans_site ON discovery_scans (site_id, created_at);
CREATE INDEX discovery_scans_agent_active ON discovery_scans (agent_id, status);

-- One row per address seen on a site: a device is its IPv4 address there.
CREATE TABLE discovered_devices (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    ip TEXT NOT NULL,
    -- The address as a number, for range tests.
    ip_number BIGINT NOT NULL,
    mac TEXT,
    vendor TEXT,
    hostname TEXT,
    -- JSON array of ports that accepted a connection at the last sighting.
    open_ports TEXT NOT NULL,
    os_guess TEXT,
    -- What the technician set.
    name TEXT,
    device_type TEXT,
    notes TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    first_seen_scan_id TEXT NOT NULL,
    last_seen_scan_id TEXT NOT NULL,
    UNIQUE (site_id, ip_number)
);
CREATE INDEX discovered_devices_last_scan ON discovered_devices (last_seen_scan_id);
