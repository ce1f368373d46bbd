-- The audit log: one hash chain of events per organization. An event's hash
-- covers its fields and the previous event's hash; `seq` numbers the chain
-- without gaps, so a changed, inserted or removed event is found by
-- verification. `audit_heads` holds each chain's end (taken row by row, so
-- two appends never get the same number) and, after pruning, the number and
-- hash of the last pruned event, where verification starts.
CREATE TABLE audit_events (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT,
    target_id TEXT,
    source_ip TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (organization_id, seq)
);
CREATE INDEX audit_events_at ON audit_events(organization_id, at);

CREATE TABLE audit_heads (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    pruned_through_seq BIGINT NOT NULL,
    pruned_through_hash TEXT NOT NULL
);

-- Events are never changed in place (pruning deletes whole old events).
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
