-- A site may hold several enrollment keys, each with an optional expiry and
-- use limit (a one-time key has max_uses = 1), revoked one by one. Revoked,
-- expired and used-up keys stay, so an agent presenting one is told why.
CREATE TABLE enrollment_keys (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by_email TEXT NOT NULL,
    expires_at BIGINT,
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX enrollment_keys_site ON enrollment_keys(site_id, created_at);

-- Each site's one key so far becomes its first key; the sites table no longer holds key hashes.
INSERT INTO enrollment_keys (id, organization_id, site_id, key_hash, label, created_at, created_by_email)
    SELECT gen_random_uuid()::text, organization_id, id, enrollment_key_hash, 'Site key',
           COALESCE(enrollment_key_created_at, created_at), ''
    FROM sites WHERE enrollment_key_hash IS NOT NULL;
UPDATE sites SET enrollment_key_hash = NULL, enrollment_key_created_at = NULL;
