-- Custom fields: an organization's own fields on its clients, sites or
-- agents (the scope), each text, a number, a date or one of a list of
-- choices (`choices`, a JSON array). `key` is the name scripts read the
-- field by: lowercase letters, digits and underscores, unique per scope.
CREATE TABLE custom_fields (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    choices TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_org_scope_key ON custom_fields(organization_id, scope, key);

-- One value of one field on one client, site or agent (`target_id`), stored
-- in its canonical text: text trimmed, a number as the shortest decimal, a
-- date as YYYY-MM-DD, a choice as written in the field's choices. A deleted
-- client, site or agent takes its values with it (the store's delete paths).
CREATE TABLE custom_field_values (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    field_id TEXT NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
    target_id TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (field_id, target_id)
);
CREATE INDEX custom_field_values_target ON custom_field_values(target_id);
