-- The operator: whoever runs the instance creates, suspends and resumes
-- organizations (MSPs). The first owner of the oldest organization (the
-- administrator the server created at its first start) becomes the operator.
-- A suspended organization's users cannot sign in or use the API (their
-- sessions end); its agents stay connected and keep their history.
ALTER TABLE users ADD COLUMN operator BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE organizations ADD COLUMN suspended_at BIGINT;
UPDATE users SET operator = TRUE WHERE id = (
    SELECT u.id FROM users u JOIN organizations o ON o.id = u.organization_id
    WHERE u.role = 'owner'
    ORDER BY o.created_at, o.id, u.created_at, u.id
    LIMIT 1
);
