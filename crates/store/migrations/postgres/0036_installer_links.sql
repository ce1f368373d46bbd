-- Short-lived download links of a site's Windows installer. The link's token
-- is kept only as its SHA-256; the enrollment key the installer carries is
-- sealed with the server's secret key (never stored in the clear), since the
-- key itself is kept only hashed in `enrollment_keys`. Expired links are
-- deleted when links are made or read.
CREATE TABLE installer_links (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    enrollment_key_id TEXT NOT NULL REFERENCES enrollment_keys(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    enrollment_key_sealed TEXT NOT NULL,
    created_by_email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX installer_links_organization ON installer_links(organization_id, expires_at);
CREATE INDEX installer_links_expiry ON installer_links(expires_at);
