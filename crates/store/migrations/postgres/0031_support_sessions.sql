-- Operator support access: a session of the operator's that acts in another
-- organization (time-boxed by its expiry, with the reason given), recorded
-- in both organizations' audit logs. Its user is the operator; what it may
-- do is the support set (everything but users, secrets and the
-- organization's settings).
ALTER TABLE sessions ADD COLUMN support_organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN support_reason TEXT;
