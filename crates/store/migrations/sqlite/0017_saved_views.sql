-- Saved views of the dashboard's lists: a name, the list ("agents"), its
-- filters and order as the list's URL query, and its columns. A view is its
-- owner's, or shared with everyone of the organization; names differ per
-- owner and list without regard to case (checked by the server in the
-- transaction that inserts, like client names).
CREATE TABLE saved_views (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    list TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    columns TEXT,
    shared BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX saved_views_org_list ON saved_views(organization_id, list);
