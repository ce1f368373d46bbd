-- API keys for automation: each belongs to the user who made it (and goes
-- with them), holds a set of permissions no wider than theirs (checked
-- again at every use against the user's permissions then), may expire, and
-- is kept by the SHA-256 of the key (a long random secret). The prefix is
-- the key's first characters, shown so people can tell keys apart.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_organization ON api_keys(organization_id, created_at);
