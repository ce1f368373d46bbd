//! The create-key form's rules, checked before sending (the server checks them again): a name, at
//! least one permission, and an expiry in the future and at most `MAX_LIFETIME_DAYS` away; and the
//! names the page gives permissions and expiries.
import type { Permission } from "@/api/types";

/** The server's longest key name (`services::api_keys::MAX_NAME_CHARS`). */
export const MAX_NAME_CHARS = 100;
/** The server's furthest expiry, in days (`services::api_keys::MAX_LIFETIME_DAYS`). */
export const MAX_LIFETIME_DAYS = 730;
const DAY_MS = 86_400_000;

/** What each permission lets a key do, in the order the server lists them. */
export const PERMISSION_LABELS: Record<Permission, string> = {
  view_agents: "Read the fleet: agents, clients, alerts, checks, jobs, scripts",
  run_commands: "Run commands on agents",
  run_scripts: "Run saved scripts on agents",
  edit_scripts: "Create, change and delete scripts",
  manage_alerts: "Acknowledge, snooze and resolve alerts; maintenance windows",
  manage_policies: "Policies, check templates and notification channels",
  manage_clients: "Create, rename and delete clients and sites",
  organize_agents: "An agent's alias, notes, tags and site",
  manage_agents: "Enrollment keys, approvals, deleting agents",
  view_secrets: "Read secret values",
  manage_users: "Users and roles",
  view_audit: "Read the audit log",
  manage_organization: "Organization settings",
};

export type ExpiryChoice = "30" | "90" | "365" | "never" | "date";

export const EXPIRY_LABELS: Record<ExpiryChoice, string> = {
  "30": "In 30 days",
  "90": "In 90 days",
  "365": "In a year",
  never: "Never (until revoked)",
  date: "On a day you choose",
};

export interface ApiKeyFormValues {
  name: string;
  permissions: Permission[];
  expiry: ExpiryChoice;
  /** `YYYY-MM-DD` of the date input, read when `expiry` is "date". */
  expiryDate: string;
}

export type ApiKeyField = "name" | "permissions" | "expires_at";

export type ApiKeyFormResult =
  | { ok: true; body: { name: string; permissions: Permission[]; expires_at: string | null } }
  | { ok: false; problems: Partial<Record<ApiKeyField, string>> };

/** The start of a `YYYY-MM-DD` day in the browser's time zone, or null for anything else. */
function localDayStart(day: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `YYYY-MM-DD` of a moment in the browser's time zone, for the date input's bounds. */
export function localDay(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** The request to send, or what is wrong with the form; `now` is passed so tests can fix it. */
export function apiKeyRequestFrom(values: ApiKeyFormValues, now: Date = new Date()): ApiKeyFormResult {
  const problems: Partial<Record<ApiKeyField, string>> = {};
  const name = values.name.trim();
  if (name === "") problems.name = "Give the key a name, such as what will use it.";
  else if (Array.from(name).length > MAX_NAME_CHARS) problems.name = `Use at most ${MAX_NAME_CHARS} characters.`;
  if (values.permissions.length === 0) problems.permissions = "Choose at least one permission.";

  let expiresAt: string | null = null;
  if (values.expiry === "date") {
    // The key stops working as the chosen day begins.
    const day = localDayStart(values.expiryDate);
    if (!day) problems.expires_at = "Choose the day the key stops working.";
    else if (day.getTime() <= now.getTime()) problems.expires_at = "Choose a day after today.";
    else if (day.getTime() > now.getTime() + MAX_LIFETIME_DAYS * DAY_MS) {
      problems.expires_at = `Choose a day at most ${MAX_LIFETIME_DAYS} days away.`;
    } else expiresAt = day.toISOString();
  } else if (values.expiry !== "never") {
    expiresAt = new Date(now.getTime() + Number(values.expiry) * DAY_MS).toISOString();
  }

  if (Object.values(problems).some(Boolean)) return { ok: false, problems };
  return { ok: true, body: { name, permissions: values.permissions, expires_at: expiresAt } };
}

/**
 * The server names the field of a 4xx refusal at the start of its message ("name: give a name of 1
 * to 100 characters"); null when it names none of the form's fields.
 */
export function apiKeyFieldProblem(message: string): { field: ApiKeyField; message: string } | null {
  const match = /^(name|permissions|expires_at): (.+)$/s.exec(message);
  if (!match) return null;
  const text = match[2] ?? "";
  return { field: match[1] as ApiKeyField, message: text.charAt(0).toUpperCase() + text.slice(1) };
}

/** Whether a key still works: not revoked, and not past its expiry. */
export function apiKeyState(key: { revoked_at?: string | null; expires_at?: string | null }, now: number = Date.now()) {
  if (key.revoked_at) return "revoked" as const;
  if (key.expires_at && Date.parse(key.expires_at) <= now) return "expired" as const;
  return "active" as const;
}
