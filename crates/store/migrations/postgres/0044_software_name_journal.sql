-- The software summary's counts (software_name_counts) are no longer
-- written by each report: a report appends what it changes to this
-- journal, one row per transaction, and the server folds the journal into
-- the counts every few seconds and before the summary is read
-- (store/src/sql/software_names.rs). Issue 17's benchmark: while 10,000
-- first inventories were stored, the counts' ~1,500 upserts per report were
-- 28 % of PostgreSQL's log and about half of its processor, and every fold
-- now sums the reports of many agents of a client into one upsert per name.
CREATE TABLE software_name_journal (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Where the agent was when its rows changed: a later move or deletion
    -- counts the rows it finds, so the journal's sums stay with the client
    -- that had them.
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    -- JSON: [[name_key, name, agents], …], the change of each name's count.
    names TEXT NOT NULL
);
