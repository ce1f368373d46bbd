-- Appends one event to an organization's audit chain in one statement, so
-- an append costs one round trip instead of five (BEGIN, lock the head,
-- insert, update the head, COMMIT). Issue 17's benchmark: while 10,000
-- first inventories were stored, a command's round trip was mostly
-- PostgreSQL round trips waited on one after another, and the command's
-- audit record was five of them.
--
-- The hash is the one `event_hash` in store/src/audit.rs computes (which
-- SQLite's appends and every verification still use): SHA-256 over the
-- twelve fields in order, each as its UTF-8 length (8 bytes, big-endian)
-- and bytes, an absent field as empty. The store's tests check the two
-- agree, with verification in Rust over events appended here.
CREATE FUNCTION audit_field(value TEXT) RETURNS BYTEA AS $$
    SELECT int8send(octet_length(b)::BIGINT) || b
    FROM (SELECT convert_to(COALESCE(value, ''), 'UTF8') AS b) AS field
$$ LANGUAGE sql IMMUTABLE;

-- Locks the organization's head (creating it at the first event; of two
-- first appends at once, one inserts and the other waits for it), numbers
-- and hashes the event after it, inserts it and moves the head, all in the
-- caller's transaction. Returns the event's number, the hash it links to
-- and its hash.
CREATE FUNCTION audit_append(
    p_organization_id TEXT, p_at BIGINT, p_actor_kind TEXT, p_actor_id TEXT,
    p_actor_label TEXT, p_action TEXT, p_target_kind TEXT, p_target_id TEXT,
    p_source_ip TEXT, p_details TEXT,
    OUT seq BIGINT, OUT prev_hash TEXT, OUT hash TEXT
) AS $$
BEGIN
    SELECT h.seq, h.hash INTO seq, prev_hash FROM audit_heads AS h
        WHERE h.organization_id = p_organization_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_heads (organization_id, seq, hash, pruned_through_seq, pruned_through_hash)
            VALUES (p_organization_id, 0, repeat('0', 64), 0, repeat('0', 64))
            ON CONFLICT (organization_id) DO NOTHING;
        SELECT h.seq, h.hash INTO STRICT seq, prev_hash FROM audit_heads AS h
            WHERE h.organization_id = p_organization_id FOR UPDATE;
    END IF;
    seq := seq + 1;
    hash := encode(sha256(
        audit_field(seq::TEXT) || audit_field(p_organization_id) || audit_field(p_at::TEXT)
        || audit_field(p_actor_kind) || audit_field(p_actor_id) || audit_field(p_actor_label)
        || audit_field(p_action) || audit_field(p_target_kind) || audit_field(p_target_id)
        || audit_field(p_source_ip) || audit_field(p_details) || audit_field(prev_hash)
    ), 'hex');
    INSERT INTO audit_events (organization_id, seq, at, actor_kind, actor_id, actor_label, action,
        target_kind, target_id, source_ip, details, prev_hash, hash)
        VALUES (p_organization_id, seq, p_at, p_actor_kind, p_actor_id, p_actor_label, p_action,
        p_target_kind, p_target_id, p_source_ip, p_details, prev_hash, hash);
    UPDATE audit_heads AS h SET seq = audit_append.seq, hash = audit_append.hash
        WHERE h.organization_id = p_organization_id;
END;
$$ LANGUAGE plpgsql;
