-- Roles became sets of permissions, and an organization got an owner: an
-- administrator whom other administrators cannot demote or remove. The first
-- administrator of each organization (the one the server created at its first
-- start, or the CLI's first) becomes its owner.
UPDATE users SET role = 'owner'
WHERE role = 'admin'
  AND created_at = (
    SELECT MIN(v.created_at) FROM users v
    WHERE v.organization_id = users.organization_id AND v.role = 'admin'
  );
