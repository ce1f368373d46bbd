-- The inventory's tables move to a file of their own beside the database
-- (`<database>-inventory`, attached to every connection as `inventory`;
-- store/src/sql/sqlite.rs). SQLite has one write lock and one WAL per file:
-- a fleet's first inventories write megabytes per report, and every write
-- of a command or a heartbeat waited behind their transactions and the
-- checkpoints of their WAL (issue 17's benchmark: command round trip p99
-- 86 ms while 10,000 first inventories were stored; 10 ms is the target).
--
-- No foreign key reaches from one file into the other: the inventory of a
-- deleted agent is removed by `delete_agent`, what a report in flight wrote
-- after it by the nightly cleanup (store/src/sql/inventory.rs). Agents are
-- the only rows referred to that are ever deleted (organizations, clients
-- and sites are not).
--
-- Tables left in the file by a database it was not paired with (this one's
-- schema is older than the move) are dropped first.
DROP TABLE IF EXISTS inventory.agent_software;
DROP TABLE IF EXISTS inventory.inventory_agents;
DROP TABLE IF EXISTS inventory.software_name_counts;
DROP TABLE IF EXISTS inventory.software_packages;
DROP TABLE IF EXISTS inventory.agent_inventories;

CREATE TABLE inventory.agent_inventories (
    agent_id TEXT PRIMARY KEY,
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
INSERT INTO inventory.agent_inventories SELECT * FROM main.agent_inventories;

CREATE TABLE inventory.software_packages (
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
INSERT INTO inventory.software_packages SELECT * FROM main.software_packages;
CREATE INDEX inventory.software_packages_name ON software_packages(name_key, version_key);

CREATE TABLE inventory.inventory_agents (
    agent_key INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE
);
INSERT INTO inventory.inventory_agents SELECT * FROM main.inventory_agents;

CREATE TABLE inventory.software_name_counts (
    organization_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    -- lower(name), as software_packages.name_key.
    name_key TEXT NOT NULL,
    -- The name as first reported (the summary shows it).
    name TEXT NOT NULL,
    -- Agents with any version of it; 0 is kept (the name often comes back)
    -- until the nightly cleanup.
    agents BIGINT NOT NULL,
    PRIMARY KEY (organization_id, client_id, name_key)
);
INSERT INTO inventory.software_name_counts SELECT * FROM main.software_name_counts;

CREATE TABLE inventory.agent_software (
    agent_key INTEGER NOT NULL REFERENCES inventory_agents(agent_key) ON DELETE CASCADE,
    -- No foreign key: unused packages are removed by the server only when no
    -- agent names them, and checking one per row would cost every write.
    package_id BIGINT NOT NULL,
    install_date TEXT,
    PRIMARY KEY (agent_key, package_id)
) WITHOUT ROWID;
INSERT INTO inventory.agent_software SELECT * FROM main.agent_software;
CREATE INDEX inventory.agent_software_package ON agent_software(package_id, agent_key);

DROP TABLE main.agent_software;
DROP TABLE main.inventory_agents;
DROP TABLE main.software_name_counts;
DROP TABLE main.software_packages;
DROP TABLE main.agent_inventories;
