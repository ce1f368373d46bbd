-- Naming and organizing agents. The alias (the name people give the machine)
-- and the tags sit on the agent's row: both are short, and the list shows and
-- filters on them. Tags are a JSON array of lowercase strings that never hold
-- `"` or `\` (the server refuses them), so `"tag"` in the column's text marks
-- exactly one element and the list's tag filter is a LIKE on the same SQL on
-- both backends. Notes (up to 10,000 characters) live in a table of their own,
-- so the rows the list scans and the presence flush rewrites stay small.
ALTER TABLE agents ADD COLUMN alias TEXT;
ALTER TABLE agents ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

CREATE TABLE agent_notes (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    notes TEXT NOT NULL
);
