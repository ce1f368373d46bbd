-- Columns the agent list shows, sorts and searches by, kept on the agent's
-- row so a sorted page is one read of the agents of an organization: when the
-- machine last started, its fullest volume's share used and who is logged
-- in (all three from the latest sample, written in the same batched statement
-- as its CPU and memory, at most every 30 s per agent), and its main local
-- address (written with its interfaces, only when they change). Agents fill
-- them in with their next sample and connection.
ALTER TABLE agents ADD COLUMN booted_at BIGINT;
ALTER TABLE agents ADD COLUMN disk_used_percent DOUBLE PRECISION;
ALTER TABLE agents ADD COLUMN logged_in_users TEXT;
ALTER TABLE agents ADD COLUMN local_ip TEXT;

-- Each listed agent's count of open alerts is read from this index, which
-- holds only the alerts not resolved.
CREATE INDEX alerts_agent_open ON alerts(agent_id) WHERE status <> 'resolved';
