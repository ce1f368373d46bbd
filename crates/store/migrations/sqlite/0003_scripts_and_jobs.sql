-- Script library (with every version kept) and jobs: one job runs one script
-- version on many agents, as one command per agent.

CREATE TABLE scripts (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    current_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scripts_org_name ON scripts(organization_id, name);

CREATE TABLE script_versions (
    script_id TEXT NOT NULL REFERENCES scripts(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    command_type TEXT NOT NULL,
    interpreter TEXT,
    body TEXT NOT NULL,
    parameters TEXT NOT NULL,
    default_env TEXT NOT NULL,
    default_timeout_seconds BIGINT NOT NULL,
    run_as TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by_email TEXT NOT NULL,
    PRIMARY KEY (script_id, version)
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    script_id TEXT,
    script_version BIGINT,
    target TEXT NOT NULL,
    parameters TEXT NOT NULL,
    created_by TEXT,
    created_by_email TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_org_created ON jobs(organization_id, created_at);

ALTER TABLE commands ADD COLUMN job_id TEXT;
ALTER TABLE commands ADD COLUMN script_id TEXT;
ALTER TABLE commands ADD COLUMN script_version BIGINT;
CREATE INDEX commands_job ON commands(job_id);
