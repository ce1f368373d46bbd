-- Deleting an agent keeps its command history, the record of who ran what:
-- the agent's row goes (with its secret, samples and events), a tombstone with
-- its names stays, and commands no longer depend on the agent's row (SQLite
-- cannot drop a foreign key, so the table is rebuilt without it).
CREATE TABLE deleted_agents (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    hostname TEXT NOT NULL,
    client_name TEXT NOT NULL,
    site_name TEXT NOT NULL,
    os_name TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL,
    deleted_by_email TEXT NOT NULL
);
CREATE INDEX deleted_agents_org ON deleted_agents(organization_id, deleted_at);

CREATE TABLE commands_kept (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL,
    created_by TEXT,
    created_by_email TEXT NOT NULL,
    command_type TEXT NOT NULL,
    command TEXT NOT NULL,
    interpreter TEXT,
    args TEXT NOT NULL,
    env TEXT NOT NULL,
    working_dir TEXT,
    run_as TEXT NOT NULL,
    timeout_seconds BIGINT NOT NULL,
    output_limit_bytes BIGINT NOT NULL,
    status TEXT NOT NULL,
    exit_code BIGINT,
    error TEXT,
    stdout TEXT NOT NULL DEFAULT '',
    stderr TEXT NOT NULL DEFAULT '',
    stdout_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    stderr_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    job_id TEXT,
    script_id TEXT,
    script_version BIGINT
);
INSERT INTO commands_kept (id, organization_id, agent_id, created_by, created_by_email, command_type, command,
    interpreter, args, env, working_dir, run_as, timeout_seconds, output_limit_bytes, status, exit_code, error,
    stdout, stderr, stdout_truncated, stderr_truncated, cancel_requested, created_at, expires_at, started_at,
    finished_at, job_id, script_id, script_version)
SELECT id, organization_id, agent_id, created_by, created_by_email, command_type, command,
    interpreter, args, env, working_dir, run_as, timeout_seconds, output_limit_bytes, status, exit_code, error,
    stdout, stderr, stdout_truncated, stderr_truncated, cancel_requested, created_at, expires_at, started_at,
    finished_at, job_id, script_id, script_version
FROM commands;
DROP TABLE commands;
ALTER TABLE commands_kept RENAME TO commands;
CREATE INDEX commands_agent_created ON commands(agent_id, created_at);
CREATE INDEX commands_status ON commands(status, expires_at);
CREATE INDEX commands_job ON commands(job_id);
