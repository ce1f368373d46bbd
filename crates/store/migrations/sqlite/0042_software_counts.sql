-- Inventory at fleet scale (issue 17's benchmark: 10,000 agents, 15 million
-- software rows).
--
-- 1. An agent's software rows name it by a small integer key instead of its
--    36-character id: each row is in two B-trees (by agent, and by package for
--    the fleet search), and the key is most of a row's size.
-- 2. How many agents of each client have each package name, kept with the
--    rows: the fleet's software summary reads these (tens of thousands of
--    rows) instead of grouping every software row (minutes at this scale).
--    The counts follow the agents' rows: written in the same transactions
--    (store/src/sql/inventory.rs), moved with an agent to another client and
--    taken away with it when it is deleted (store/src/sql/agents.rs).
CREATE TABLE inventory_agents (
    agent_key INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE REFERENCES agents(id) ON DELETE CASCADE
);
INSERT INTO inventory_agents (agent_id)
    SELECT agent_id FROM agent_software UNION SELECT agent_id FROM agent_inventories;

CREATE TABLE software_name_counts (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    -- lower(name), as software_packages.name_key.
    name_key TEXT NOT NULL,
    -- The name as first reported (the summary shows it).
    name TEXT NOT NULL,
    -- Agents with any version of it; 0 is kept (the name often comes back)
    -- until the nightly cleanup.
    agents BIGINT NOT NULL,
    PRIMARY KEY (organization_id, client_id, name_key)
);
INSERT INTO software_name_counts (organization_id, client_id, name_key, name, agents)
    SELECT a.organization_id, a.client_id, p.name_key, MIN(p.name), COUNT(DISTINCT a.id)
    FROM agent_software s
    JOIN agents a ON a.id = s.agent_id
    JOIN software_packages p ON p.id = s.package_id
    GROUP BY a.organization_id, a.client_id, p.name_key;

CREATE TABLE agent_software_keyed (
    agent_key INTEGER NOT NULL REFERENCES inventory_agents(agent_key) ON DELETE CASCADE,
    -- No foreign key: unused packages are removed by the server only when no
    -- agent names them, and checking one per row would cost every write.
    package_id BIGINT NOT NULL,
    install_date TEXT,
    PRIMARY KEY (agent_key, package_id)
) WITHOUT ROWID;
INSERT INTO agent_software_keyed (agent_key, package_id, install_date)
    SELECT k.agent_key, s.package_id, s.install_date
    FROM agent_software s JOIN inventory_agents k ON k.agent_id = s.agent_id;
DROP TABLE agent_software;
ALTER TABLE agent_software_keyed RENAME TO agent_software;
CREATE INDEX agent_software_package ON agent_software(package_id, agent_key);
