-- The agent list is ordered by hostname without regard to case: with this
-- index a page of it is read in order instead of sorting every agent of the
-- organization (it replaces the case-sensitive one, which nothing used).
DROP INDEX agents_org_hostname;
CREATE INDEX agents_org_hostname_ci ON agents(organization_id, LOWER(hostname), id);
