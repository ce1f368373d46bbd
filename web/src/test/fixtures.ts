//! Wire objects for tests, each complete and plausible, changed per test through `overrides` so a
//! test names only what it is about.
import type {
  AgentCheck,
  AgentRelease,
  AgentDetail,
  AgentSummary,
  Alert,
  Channel,
  Command,
  DeletedAgent,
  Delivery,
  Device,
  DiscoveryScan,
  FleetCheck,
  MaintenanceWindow,
  Overview,
  Policy,
  Script,
} from "@/api/types";
import type { components } from "@/api/schema";
import { ROLE_PERMISSIONS } from "./render-page";

type CustomRoleView = components["schemas"]["CustomRoleView"];
type RoleList = components["schemas"]["RoleList"];
type AuditStreamView = components["schemas"]["AuditStreamView"];
type SsoProviderView = components["schemas"]["SsoProviderView"];

/** One page of a list answer, as the server sends it. */
export function pageOf<T>(items: T[], perPage = 50): { items: T[]; total: number; page: number; per_page: number } {
  return { items, total: items.length, page: 1, per_page: perPage };
}

/** An online Debian agent of client Acme, site HQ, seen just now, with no alias or tags. */
export function agentSummary(overrides: Partial<AgentSummary> = {}): AgentSummary {
  return {
    id: "a",
    hostname: "web01",
    alias: null,
    tags: [],
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
    booted_at: null,
    disk_used_percent: null,
    logged_in_users: null,
    local_ip: null,
    serial_number: null,
    open_alerts: 0,
    ...overrides,
  };
}

/** A running shell command started a second after it was created. */
/** The agent page's answer: `agentSummary` with notes, device id and no telemetry yet. */
export function agentDetail(overrides: Partial<AgentDetail> = {}): AgentDetail {
  return { ...agentSummary(), notes: "", device_id: "device-1", interfaces: [], latest_sample: null, ...overrides };
}

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
    secrets_hidden: false,
    vault_env: {},
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
      secrets_hidden: false,
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

/** An open critical alert of a failing port check on web01 (Acme / HQ), opened an hour ago. */
export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01",
    kind: "check",
    severity: "critical",
    status: "open",
    title: "Web port failing on web01",
    detail: "connect 127.0.0.1:8443: connection refused",
    flapping: false,
    check_name: "Web port",
    agent_id: "a",
    agent_hostname: "web01",
    client_id: "c",
    client_name: "Acme",
    site_id: "s",
    site_name: "HQ",
    opened_at: new Date(Date.now() - 3_600_000).toISOString(),
    acknowledged_at: null,
    acknowledged_by_email: null,
    acknowledge_note: null,
    snoozed_until: null,
    snoozed_by_email: null,
    resolved_at: null,
    resolved_by_email: null,
    ...overrides,
  };
}

/** A fleet of 12 agents, 2 offline, with a few unresolved alerts of Acme. */
export function overview(overrides: Partial<Overview> = {}): Overview {
  return {
    agents_total: 12,
    agents_online: 10,
    agents_offline: 2,
    alerts: { critical: 3, warning: 1, info: 0 },
    alerts_by_client: [{ client_id: "c", client_name: "Acme", alerts: { critical: 3, warning: 1, info: 0 } }],
    checks: { failing: 3, warning: 1, passing: 40 },
    ...overrides,
  };
}

/** A passing port check of the "Baseline" policy, checked a minute ago. */
export function agentCheck(overrides: Partial<AgentCheck> = {}): AgentCheck {
  return {
    name: "Web port",
    type: "port",
    state: "passing",
    last_checked_at: new Date(Date.now() - 60_000).toISOString(),
    since: new Date(Date.now() - 86_400_000).toISOString(),
    consecutive: 12,
    output: "connected to 127.0.0.1:8443 in 1 ms",
    value: 1,
    interval_seconds: 60,
    fail_after: 2,
    severity: "critical",
    policy_name: "Baseline",
    ...overrides,
  };
}

/** A port check failing on web01 (Acme / HQ) for an hour, as the fleet's list of checks has it. */
export function fleetCheck(overrides: Partial<FleetCheck> = {}): FleetCheck {
  return {
    agent_id: "a",
    agent_hostname: "web01",
    client_id: "c",
    client_name: "Acme",
    site_id: "s",
    site_name: "HQ",
    name: "Web port",
    type: "port",
    severity: "critical",
    state: "failing",
    since: new Date(Date.now() - 3_600_000).toISOString(),
    last_checked_at: new Date(Date.now() - 60_000).toISOString(),
    consecutive: 60,
    output: "connect 127.0.0.1:8443: connection refused",
    ...overrides,
  };
}

/** A policy with one port check and inherited settings. */
export function policy(overrides: Partial<Policy> = {}): Policy {
  return {
    id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b01",
    name: "Baseline",
    description: "Every server",
    checks: [
      {
        name: "Web port",
        type: "port",
        host: "127.0.0.1",
        port: 8443,
        interval_seconds: 60,
        fail_after: 2,
        severity: "critical",
        enabled: true,
      },
    ],
    offline_alert_after_seconds: null,
    renotify_minutes: null,
    metrics_interval_seconds: null,
    notify: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

/** An email notification channel that can send. */
export function channel(overrides: Partial<Channel> = {}): Channel {
  return {
    id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c01",
    name: "On call",
    kind: "email",
    config: { to: ["oncall@example.com"], has_secret: false, url_hint: null },
    subject_template: null,
    body_template: null,
    unusable_reason: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

/** A sent notification of an opened alert. */
export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4d01",
    alert_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01",
    channel_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c01",
    channel_kind: "email",
    channel_name: "On call",
    event: "opened",
    subject: "[Critical] Web port failing on web01",
    body: "Web port failing",
    status: "sent",
    attempts: 1,
    last_error: null,
    created_at: "2026-01-01T00:00:00Z",
    next_attempt_at: "2026-01-01T00:00:00Z",
    sent_at: "2026-01-01T00:00:01Z",
    ...overrides,
  };
}

/** An active maintenance window on site HQ. */
export function maintenanceWindow(overrides: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  return {
    id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4e01",
    scope: "site",
    target_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4f01",
    target_name: "HQ",
    starts_at: "2026-01-01T00:00:00Z",
    ends_at: "2099-01-01T02:00:00Z",
    weekly: false,
    reason: "Switch replacement",
    active: true,
    created_at: "2026-01-01T00:00:00Z",
    created_by_email: "tech@example.com",
    ...overrides,
  };
}

/** A custom role "Helpdesk" that sees the fleet and runs scripts, held by one user and no invitation. */
export function customRole(overrides: Partial<CustomRoleView> = {}): CustomRoleView {
  return {
    id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f5a01",
    name: "Helpdesk",
    description: "First line: sees the fleet and runs the approved scripts.",
    permissions: ["view_agents", "run_scripts"],
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    user_count: 1,
    invitation_count: 0,
    ...overrides,
  };
}

/** `GET /api/v1/roles`: the built-in roles with their permissions, and `custom`. */
export function roleList(custom: CustomRoleView[] = [customRole()]): RoleList {
  return {
    built_in: (["owner", "admin", "technician", "readonly"] as const).map((role) => ({ role, permissions: ROLE_PERMISSIONS[role] })),
    custom,
  };
}

/** `GET /api/v1/audit/stream`: an enabled stream caught up with the log's 42 events, last sent a minute ago, failing nothing. */
export function auditStream(overrides: Partial<AuditStreamView> = {}): AuditStreamView {
  return {
    url: "https://siem.example.com/gururmm",
    enabled: true,
    delivered_through_seq: 42,
    head_seq: 42,
    pending: 0,
    last_delivered_at: new Date(Date.now() - 60_000).toISOString(),
    failures: 0,
    last_error: null,
    next_attempt_at: new Date().toISOString(),
    ...overrides,
  };
}

/**
 * `GET /api/v1/sso/providers/{id}`: an enabled Entra ID provider for acme.test that creates users as
 * technicians of the whole organization, with no group rule; its secret is set (and never shown).
 */
export function ssoProvider(overrides: Partial<SsoProviderView> = {}): SsoProviderView {
  const id = overrides.id ?? "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f5b01";
  return {
    id,
    name: "Acme Entra",
    issuer: "https://login.microsoftonline.com/8f3c1a2b-0000-4000-8000-123456789abc/v2.0",
    client_id: "5e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b",
    client_secret_set: true,
    email_domains: ["acme.test"],
    provision: true,
    default_access: { role: "technician" },
    groups_claim: "groups",
    group_rules: [],
    enabled: true,
    sign_in_url: `https://rmm.example.com/login?sso=${id}`,
    redirect_uri: "https://rmm.example.com/api/v1/auth/sso/callback",
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

/**
 * A signed stable (or, with a pre-release part, beta) Linux x86_64 agent build, valid until 2099.
 */
export function agentRelease(version: string, overrides: Partial<AgentRelease> = {}): AgentRelease {
  return {
    product: "gururmm-agent",
    version,
    channel: version.includes("-") ? "beta" : "stable",
    platform: "linux",
    arch: "x86_64",
    file: `gururmm-agent-${version}-linux-x86_64`,
    size: 3_800_000,
    sha256: "ab".repeat(32),
    released_at: "2026-05-01T00:00:00Z",
    expires_at: "2099-01-01T00:00:00Z",
    ...overrides,
  };
}

/** A completed scan of HQ's 192.168.1.0/24 from web01 an hour ago that found nothing new. */
export function discoveryScan(overrides: Partial<DiscoveryScan> = {}): DiscoveryScan {
  return {
    id: "scan-1",
    site_id: "s",
    agent_id: "a",
    agent_hostname: "web01",
    ranges: ["192.168.1.0/24"],
    ports: [22, 80, 443],
    timeout_ms: 500,
    rate_per_second: 200,
    status: "completed",
    progress: 1,
    done: 256,
    total: 256,
    hosts_found: 3,
    new_devices: 0,
    missing_devices: 0,
    message: "",
    created_at: new Date(Date.now() - 3_600_000).toISOString(),
    created_by_email: "tech@example.com",
    started_at: new Date(Date.now() - 3_600_000).toISOString(),
    finished_at: new Date(Date.now() - 3_500_000).toISOString(),
    ...overrides,
  };
}

/** An unnamed, unmanaged device of site HQ seen by the last scan, with nothing changed. */
export function discoveredDevice(overrides: Partial<Device> = {}): Device {
  return {
    id: `device-${overrides.ip ?? "192.168.1.1"}`,
    site_id: "s",
    ip: "192.168.1.1",
    mac: null,
    vendor: null,
    hostname: null,
    open_ports: [],
    os_guess: null,
    managed_agent_id: null,
    managed_agent_hostname: null,
    name: null,
    device_type: null,
    notes: "",
    first_seen: "2026-12-01T00:00:00Z",
    last_seen: "2026-12-01T00:00:00Z",
    change: null,
    ...overrides,
  };
}
