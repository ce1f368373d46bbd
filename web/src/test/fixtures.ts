//! Wire objects for tests, each complete and plausible, changed per test through `overrides` so a
//! test names only what it is about.
import type { AgentSummary, Command, DeletedAgent, Script } from "@/api/types";

/** One page of a list answer, as the server sends it. */
export function pageOf<T>(items: T[], perPage = 50): { items: T[]; total: number; page: number; per_page: number } {
  return { items, total: items.length, page: 1, per_page: perPage };
}

/** An online Debian agent of client Acme, site HQ, seen just now. */
export function agentSummary(overrides: Partial<AgentSummary> = {}): AgentSummary {
  return {
    id: "a",
    hostname: "web01",
    status: "online",
    last_seen: new Date().toISOString(),
    os: { family: "linux", name: "Debian GNU/Linux", version: "12", kernel: "6.1" },
    arch: "x86_64",
    agent_version: "0.1.0",
    site_id: "s",
    site_name: "HQ",
    client_id: "c",
    client_name: "Acme",
    public_ip: null,
    cpu_percent: 12.5,
    memory_used_bytes: 2 * 1024 ** 3,
    memory_total_bytes: 8 * 1024 ** 3,
    enrolled_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

/** A running shell command started a second after it was created. */
export function command(overrides: Partial<Command> = {}): Command {
  return {
    id: "c1",
    agent_id: "a1",
    status: "running",
    command_type: "shell",
    command: "echo hi",
    interpreter: null,
    args: [],
    env: {},
    working_dir: null,
    run_as: { context: "system" },
    timeout_seconds: 300,
    exit_code: null,
    error: null,
    stdout: "",
    stderr: "",
    stdout_truncated: false,
    stderr_truncated: false,
    cancel_requested: false,
    created_by: "u",
    created_by_email: "tech@example.com",
    created_at: "2026-01-01T00:00:00Z",
    expires_at: "2026-01-02T00:00:00Z",
    started_at: "2026-01-01T00:00:01Z",
    finished_at: null,
    ...overrides,
  };
}

/** A bash script at version 3 with one number parameter; `current` overrides its current version. */
export function script(overrides: Partial<Script> = {}, current: Partial<Script["current"]> = {}): Script {
  return {
    id: "s1",
    name: "Clean temp",
    description: "Deletes old files from /tmp",
    category: "Maintenance",
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
    current: {
      version: 3,
      command_type: "script",
      interpreter: "bash",
      body: "find /tmp -mtime +$1 -delete",
      parameters: [{ name: "Days", type: "number", default: "7" }],
      default_env: {},
      default_timeout_seconds: 300,
      run_as: { context: "system" },
      created_at: "2026-01-01T00:00:00Z",
      created_by_email: "tech@example.com",
      ...current,
    },
  };
}

/** The tombstone of an agent deleted five minutes ago with seven commands in its history. */
export function deletedAgent(overrides: Partial<DeletedAgent> = {}): DeletedAgent {
  return {
    id: "0b7f1a4e-1111-4222-8333-944455556666",
    hostname: "old-pc",
    client_name: "Acme",
    site_name: "HQ",
    os_name: "Debian GNU/Linux 12",
    enrolled_at: "2026-01-01T00:00:00Z",
    deleted_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    deleted_by_email: "admin@example.com",
    command_count: 7,
    ...overrides,
  };
}
