//! What the roles page says about permissions and built-in roles, and the role form's rules, checked
//! before sending (the server checks them again): a name of 1 to 60 characters that is not a
//! built-in role's, a description of at most 500, and only permissions the signed-in user holds.
import { ApiError } from "@/api/errors";
import type { Permission, Role } from "@/api/types";

/** The server's longest role name (`services::roles::MAX_NAME_CHARS`). */
export const MAX_NAME_CHARS = 60;
/** The server's longest description (`services::roles::MAX_DESCRIPTION_CHARS`). */
export const MAX_DESCRIPTION_CHARS = 500;

/** What each permission allows, in one line (docs/access.md has the full table). */
export const PERMISSION_DESCRIPTIONS: Record<Permission, string> = {
  view_agents:
    "Read the fleet: agents, clients, sites, metrics, alerts, checks, commands, jobs, scripts, policies and the rest of the dashboard.",
  run_commands: "Run ad-hoc commands and the terminal on agents; cancel and re-run them.",
  run_scripts: "Run saved scripts on agents, sites and clients; re-run a job's failed agents.",
  edit_scripts: "Create, change, restore and delete scripts.",
  manage_alerts: "Acknowledge, snooze and resolve alerts; maintenance windows; run an agent's checks now.",
  manage_policies: "Policies and their assignments, check templates, notification channels.",
  manage_clients: "Create, rename and delete clients and sites.",
  organize_agents: "An agent's alias, notes, tags and site; bulk tag and move; custom field values.",
  manage_agents: "Enrollment keys, approving or rejecting a machine that claims an agent, deleting agents, device ids.",
  view_secrets: "Read secret values: script default environments, secret parameters, command environments.",
  manage_users: "Invite, change and remove users; roles.",
  view_audit: "Read the audit log.",
  manage_organization: "Organization settings and custom field definitions.",
};

/** The permissions in the order the server lists them. */
export const ALL_PERMISSIONS = Object.keys(PERMISSION_DESCRIPTIONS) as Permission[];

/** The form's groups of permissions: every permission is in exactly one. */
export const PERMISSION_GROUPS: readonly { title: string; permissions: readonly Permission[] }[] = [
  { title: "Seeing and organizing the fleet", permissions: ["view_agents", "organize_agents", "manage_clients", "manage_agents"] },
  { title: "Running on agents", permissions: ["run_commands", "run_scripts"] },
  { title: "Responding and configuring", permissions: ["manage_alerts", "edit_scripts", "manage_policies"] },
  { title: "Secrets and administration", permissions: ["view_secrets", "manage_users", "view_audit", "manage_organization"] },
];

type BuiltIn = Exclude<Role, "custom">;

export const BUILT_IN_LABELS: Record<BuiltIn, string> = {
  owner: "Owner",
  admin: "Admin",
  technician: "Technician",
  readonly: "Read-only",
};

export const BUILT_IN_SUMMARIES: Record<BuiltIn, string> = {
  owner: "Everything, including giving and taking the owner role.",
  admin: "Everything but the owner role.",
  technician: "Watches the fleet, runs commands and scripts, handles alerts, organizes clients and agents.",
  readonly: "Sees the fleet and changes nothing.",
};

/** The names a custom role may not take (compared without case, like the server). */
const RESERVED_NAMES = new Set(["owner", "admin", "technician", "readonly", "custom"]);

/** Of `permissions`, those `held` lacks, in the server's order. */
export function missingPermissions(held: readonly Permission[], permissions: readonly Permission[]): Permission[] {
  return ALL_PERMISSIONS.filter((permission) => permissions.includes(permission) && !held.includes(permission));
}

export interface RoleFormValues {
  name: string;
  description: string;
  permissions: Permission[];
}

export type RoleField = "name" | "description" | "permissions";

export type RoleFormResult =
  | { ok: true; body: { name: string; description: string; permissions: Permission[] } }
  | { ok: false; problems: Partial<Record<RoleField, string>> };

/** The request to send (permissions in the server's order), or what is wrong with the form. */
export function roleRequestFrom(values: RoleFormValues, held: readonly Permission[]): RoleFormResult {
  const problems: Partial<Record<RoleField, string>> = {};
  const name = values.name.trim();
  const nameLength = Array.from(name).length;
  if (nameLength === 0) problems.name = "Give the role a name, such as what its holders do.";
  else if (nameLength > MAX_NAME_CHARS) problems.name = `Use at most ${MAX_NAME_CHARS} characters.`;
  else if (RESERVED_NAMES.has(name.toLowerCase())) problems.name = `${name} is a built-in role's name; choose another.`;
  const description = values.description.trim();
  if (Array.from(description).length > MAX_DESCRIPTION_CHARS) problems.description = `Use at most ${MAX_DESCRIPTION_CHARS} characters.`;
  const lacking = missingPermissions(held, values.permissions);
  if (lacking.length > 0) problems.permissions = `You do not hold ${lacking.join(", ")}, so you cannot give it.`;
  if (Object.values(problems).some(Boolean)) return { ok: false, problems };
  return { ok: true, body: { name, description, permissions: ALL_PERMISSIONS.filter((p) => values.permissions.includes(p)) } };
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Where a refusal of the form belongs: the server names the field of a 4xx at the start of its
 * message ("name: …", "description: …"); a 409 without one is about the name too (another role is
 * named so), unless it is the organization's limit on roles. Null leaves the message for the form's
 * failure line (a 403 about permissions, a 5xx).
 */
export function roleFieldProblem(error: unknown): { field: RoleField; message: string } | null {
  if (!(error instanceof ApiError) || error.status >= 500) return null;
  const match = /^(name|description|permissions): (.+)$/s.exec(error.message);
  if (match) return { field: match[1] as RoleField, message: sentence(match[2] ?? "") };
  if (error.status === 409 && !/at most \d+ custom roles/.test(error.message)) return { field: "name", message: sentence(error.message) };
  return null;
}
