-- The agent list is ordered by hostname without regard to case: with this
-- index a page of it is read in order instead of sorting every agent of the
-- organization, and its total is counted from the index, with the client,
-- site and online filters (it replaces the case-sensitive index,
-- which nothing used).
DROP INDEX agents_org_hostname;
CREATE INDEX agents_org_hostname_ci ON agents(organization_id, LOWER(hostname), id, client_id, site_id, online);

-- Each agent's row is rewritten often (its latest CPU and memory figures, its
-- last-seen time);
-- free room on every page keeps those updates on the same page (HOT updates),
-- so they touch no index and leave little for vacuum.
ALTER TABLE agents SET (fillfactor = 70);

-- The latest full sample (a few KiB of JSON) moves out of the agents row, so
-- the rows the list scans and counts, and that presence updates, stay small.
CREATE TABLE agent_latest_samples (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    collected_at BIGINT NOT NULL,
    sample TEXT NOT NULL
);
INSERT INTO agent_latest_samples (agent_id, collected_at, sample)
    SELECT id, latest_sample_at, latest_sample FROM agents
    WHERE latest_sample IS NOT NULL AND latest_sample_at IS NOT NULL;
ALTER TABLE agents DROP COLUMN latest_sample;
