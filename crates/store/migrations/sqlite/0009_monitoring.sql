-- Monitoring: policies and where they are assigned, check states (written only
-- when they change) with their history, and alerts.
CREATE TABLE policies (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (organization_id, name)
);

-- target_id is '' for the global scope, so the unique constraint covers it.
CREATE TABLE policy_assignments (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    target_id TEXT NOT NULL,
    block_inheritance BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    created_by_email TEXT NOT NULL,
    UNIQUE (organization_id, scope, target_id)
);
CREATE INDEX policy_assignments_policy ON policy_assignments(policy_id);

CREATE TABLE check_states (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    consecutive BIGINT NOT NULL,
    output TEXT NOT NULL,
    value DOUBLE PRECISION,
    checked_at BIGINT NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (agent_id, name)
);

CREATE TABLE check_history (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    output TEXT NOT NULL,
    value DOUBLE PRECISION,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, name, checked_at)
);
CREATE INDEX check_history_checked ON check_history(checked_at);

-- Alerts outlive their agent (like commands), so agent_id is not a foreign key.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    condition_key TEXT NOT NULL,
    agent_id TEXT,
    client_id TEXT,
    site_id TEXT,
    check_name TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by_email TEXT,
    acknowledged_at BIGINT,
    acknowledged_by_email TEXT,
    acknowledge_note TEXT,
    snoozed_until BIGINT,
    snoozed_by_email TEXT
);
CREATE UNIQUE INDEX alerts_one_unresolved ON alerts(organization_id, condition_key) WHERE status <> 'resolved';
CREATE INDEX alerts_org_opened ON alerts(organization_id, opened_at);
CREATE INDEX alerts_agent ON alerts(agent_id, opened_at);
