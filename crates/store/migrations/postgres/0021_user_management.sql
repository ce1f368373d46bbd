-- Users managed from the dashboard: disabled users keep their row (and their
-- name in history) but cannot sign in; the last sign-in is shown to
-- administrators. Sessions remember where they were opened, so a user can
-- tell their own sessions apart and end one.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;

-- Invitations to join an organization and password resets: one-time links,
-- kept by the hash of their token until used or expired.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    -- A password reset's user; none for an invitation.
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    created_by_email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX invitations_organization ON invitations(organization_id, created_at);
