-- Client scope: a user (or an invitation) may be limited to chosen clients of
-- the organization. NULL: the whole organization; otherwise a JSON list of
-- client ids. A deleted client's id in a list names nothing and grants
-- nothing.
ALTER TABLE users ADD COLUMN client_ids TEXT;
ALTER TABLE invitations ADD COLUMN client_ids TEXT;
