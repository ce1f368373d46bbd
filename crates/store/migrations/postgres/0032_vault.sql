-- The credential vault: customer credentials per client (or site). Values
-- are encrypted with the organization's data key (bound to the organization
-- and the entry); the data key is kept wrapped by a master key that is never
-- in the database (the server's vault.keys file), named by master_key_id so
-- a master-key rotation re-wraps data keys without touching entries.
CREATE TABLE vault_data_keys (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    master_key_id TEXT NOT NULL,
    wrapped_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE vault_entries (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    site_id TEXT REFERENCES sites(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    username TEXT,
    url TEXT,
    notes TEXT NOT NULL,
    value_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by_email TEXT NOT NULL,
    updated_by_email TEXT NOT NULL
);
CREATE INDEX vault_entries_client ON vault_entries(organization_id, client_id, name);
