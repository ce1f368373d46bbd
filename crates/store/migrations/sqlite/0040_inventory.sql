-- Inventory (issue 17): what each agent is and runs, as its agent last
-- reported it. The small sections are JSON per agent; packages are rows,
-- because the fleet is searched by them ("which machines have openssl below
-- 3.0.7?"). An agent's software row names a package of the shared
-- software_packages table, where each distinct package (source, name, arch,
-- version, publisher) is stored once for the whole server: 10,000 agents with
-- 1,500 packages each are 15 million rows of two ids, and a search reads the
-- few package rows of one name in version order, then their agents.
CREATE TABLE agent_inventories (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    -- When the agent collected the report this state is; a delta applies
    -- only to the state it was computed against.
    collected_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    hardware TEXT,
    os TEXT,
    domain TEXT,
    virtualization TEXT,
    services TEXT NOT NULL,
    local_users TEXT NOT NULL,
    local_groups TEXT NOT NULL,
    package_count BIGINT NOT NULL,
    service_count BIGINT NOT NULL,
    truncated BOOLEAN NOT NULL
);

CREATE TABLE software_packages (
    -- A hash of the identifying columns (the server computes it), so an
    -- agent's rows are written without reading ids back first.
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    -- lower(name): searches ignore case.
    name_key TEXT NOT NULL,
    arch TEXT NOT NULL,
    version TEXT NOT NULL,
    publisher TEXT NOT NULL,
    -- Bytes in dpkg version order (gururmm_protocol::inventory::version_key).
    version_key BLOB NOT NULL
);
CREATE INDEX software_packages_name ON software_packages(name_key, version_key);

CREATE TABLE agent_software (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    -- No foreign key: unused packages are removed by the server only when no
    -- agent names them, and checking one per row would cost every write.
    package_id BIGINT NOT NULL,
    install_date TEXT,
    PRIMARY KEY (agent_id, package_id)
) WITHOUT ROWID;
CREATE INDEX agent_software_package ON agent_software(package_id, agent_id);
