-- Remote execution: one row per command sent to one agent. Output is written
-- once, with the final result; live output streams through memory.

CREATE TABLE commands (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
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
    finished_at BIGINT
);
CREATE INDEX commands_agent_created ON commands(agent_id, created_at);
CREATE INDEX commands_status ON commands(status, expires_at);
