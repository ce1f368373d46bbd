-- Custom roles: an organization's own named sets of permissions, next to the
-- built-in roles (owner, admin, technician, readonly). A user or invitation
-- with role 'custom' takes its permissions from the role named by
-- custom_role_id. A role in use by a user or a pending invitation cannot be
-- deleted (the server says by whom; the foreign key is the last guard).
CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles(organization_id, LOWER(name));
ALTER TABLE users ADD COLUMN custom_role_id TEXT REFERENCES roles(id);
ALTER TABLE invitations ADD COLUMN custom_role_id TEXT REFERENCES roles(id);
