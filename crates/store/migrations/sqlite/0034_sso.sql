-- OpenID Connect single sign-on. Each organization may trust a few identity
-- providers; the client secret is sealed with the server's key. Users come
-- in just in time with the provider's default access, or the access of the
-- first of its group rules (JSON, in order) that names one of their groups.
CREATE TABLE sso_providers (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    email_domains TEXT NOT NULL,
    provision BOOLEAN NOT NULL,
    default_role TEXT,
    default_custom_role_id TEXT,
    default_client_ids TEXT,
    groups_claim TEXT NOT NULL,
    group_rules TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sso_providers_organization ON sso_providers(organization_id, name);
-- A sign-in on its way through the provider, found by the hash of its
-- `state`, taken (deleted) by the callback, so a state, its nonce and its
-- PKCE verifier serve once. Kept in the database so a restart between the
-- redirect and the callback loses nothing.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier_sealed TEXT NOT NULL,
    return_to TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_logins_expiry ON sso_logins(expires_at);
-- Who a provider's subject is here: linked at the first sign-in, then
-- found by the subject alone (an email address can change hands).
CREATE TABLE sso_identities (
    provider_id TEXT NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX sso_identities_user ON sso_identities(user_id);
-- Organizations whose users other than owners sign in only through a provider.
CREATE TABLE sso_settings (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    sso_only BOOLEAN NOT NULL
);
