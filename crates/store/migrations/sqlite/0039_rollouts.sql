-- Which releases reach which agents automatically: an update policy per
-- organization (global), client, site or agent, the most specific winning;
-- and staged rollouts of a release in waves with a health gate. A rollout's
-- whole state is here, so the server carries it on after a restart.
CREATE TABLE update_policies (
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    -- The client, site or agent; '' for the organization-wide policy.
    target_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    pinned_version TEXT,
    maintenance_only BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by_email TEXT NOT NULL,
    PRIMARY KEY (organization_id, scope, target_id)
);

CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    -- Percentages of the eligible agents each wave reaches, ascending, ending at 100 (JSON).
    waves TEXT NOT NULL,
    max_failure_percent BIGINT NOT NULL,
    state TEXT NOT NULL,
    current_wave BIGINT NOT NULL,
    wave_started_at BIGINT NOT NULL,
    halt_reason TEXT,
    created_by_email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rollouts_organization ON rollouts(organization_id, created_at);
CREATE INDEX rollouts_state ON rollouts(state);

ALTER TABLE agent_updates ADD COLUMN rollout_id TEXT REFERENCES rollouts(id) ON DELETE SET NULL;
ALTER TABLE agent_updates ADD COLUMN wave BIGINT;
CREATE INDEX agent_updates_rollout ON agent_updates(rollout_id);
