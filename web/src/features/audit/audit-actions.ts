//! How the audit log names its actions. An action is an API operation's id (`create_client`) or one
//! of the events recorded where they happen (`sign_in`, `audit_pruned`); the log reads them as short
//! phrases, and an action this list does not know is spelled out from its id.
import type { components } from "@/api/schema";

export type AuditItem = components["schemas"]["AuditItem"];
export type AuditPage = components["schemas"]["AuditPage"];
export type AuditVerification = components["schemas"]["AuditVerification"];
export type AuditStreamView = components["schemas"]["AuditStreamView"];
export type AuditStreamRequest = components["schemas"]["AuditStreamRequest"];

/** Actions whose id does not read well on its own. */
const ACTION_LABELS: Record<string, string> = {
  sign_in: "Signed in",
  sign_in_failed: "Sign-in failed",
  invitation_accepted: "Accepted an invitation",
  password_reset_used: "Used a password reset link",
  request_refused: "Request refused",
  logout: "Signed out",
  change_password: "Changed own password",
  revoke_session: "Signed out a session",
  revoke_other_sessions: "Signed out other sessions",
  totp_setup: "Started two-factor setup",
  totp_confirm: "Turned on two-factor",
  totp_disable: "Turned off two-factor",
  invite_user: "Invited a user",
  update_user: "Changed a user's role",
  disable_user: "Disabled a user",
  enable_user: "Enabled a user",
  delete_user: "Removed a user",
  reset_user_password: "Made a password reset link",
  reset_second_factor: "Reset a user's two-factor",
  withdraw_invitation: "Withdrew an invitation",
  user_created: "Created a user (command line)",
  password_reset: "Reset a password (command line)",
  organization_created: "Created the organization (command line)",
  audit_pruned: "Pruned old events",
  bulk: "Bulk action on agents",
  bulk_alerts: "Bulk action on alerts",
  create_command: "Ran a command",
  run_command: "Ran a command on several agents",
  run_script: "Ran a script",
  run_agent_checks: "Ran an agent's checks",
  rerun_failed: "Re-ran a job's failed agents",
  create_enrollment_key: "Made an enrollment key",
  create_site_enrollment_key: "Made an enrollment key",
  approve_enrollment_request: "Approved a re-enrollment",
  reject_enrollment_request: "Rejected a re-enrollment",
  preview_template: "Previewed a notification template",
  test_channel: "Tested a notification channel",
};

/** "create_client" → "Create client": an action the list above does not name. */
function spelledOut(action: string): string {
  const words = action.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? spelledOut(action);
}

/** The actions offered in the filter, in groups; any other action can still come from the URL. */
export const COMMON_ACTIONS: readonly { group: string; actions: readonly string[] }[] = [
  { group: "Signing in", actions: ["sign_in", "sign_in_failed", "invitation_accepted", "password_reset_used", "request_refused"] },
  {
    group: "Users and accounts",
    actions: [
      "invite_user",
      "update_user",
      "disable_user",
      "enable_user",
      "delete_user",
      "reset_user_password",
      "reset_second_factor",
      "change_password",
      "totp_confirm",
      "totp_disable",
    ],
  },
  {
    group: "Agents and commands",
    actions: ["update_agent", "delete_agent", "bulk", "create_command", "run_command", "run_script", "approve_enrollment_request"],
  },
  {
    group: "Configuration",
    actions: [
      "create_client",
      "delete_client",
      "create_site",
      "delete_site",
      "create_script",
      "update_script",
      "delete_script",
      "create_policy",
      "update_policy",
      "delete_policy",
    ],
  },
  { group: "Command line and server", actions: ["user_created", "password_reset", "organization_created", "audit_pruned"] },
];

/** What a `request_refused` event says about the request it refers to, when it says it. */
export interface Refusal {
  /** The HTTP status the request was answered with. */
  status: number | null;
  /** The refused request's action. */
  action: string | null;
  /** The number of the event that recorded the request. */
  refersTo: number | null;
}

export function refusalOf(item: AuditItem): Refusal | null {
  if (item.action !== "request_refused") return null;
  const details = (item.details ?? {}) as Record<string, unknown>;
  const number = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : null);
  return {
    status: number(details.status),
    action: typeof details.action === "string" ? details.action : null,
    refersTo: number(details.refers_to),
  };
}

/** The id part of a target (`agents/0190…` → `0190…`), which the object filter takes. */
export function targetId(target: string | null | undefined): string | null {
  if (!target) return null;
  const slash = target.indexOf("/");
  return slash < 0 ? null : target.slice(slash + 1) || null;
}

/** One field an event changed. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * What an event changed, field by field: the `changes` the server recorded for an update (its
 * fields' values before and after), or, for the settings that record themselves whole, the fields
 * whose `before` and `after` differ. Empty when the event records no change.
 */
export function changesOf(item: AuditItem): FieldChange[] {
  const details: unknown = item.details;
  if (!isObject(details)) return [];
  if (isObject(details.changes)) {
    return Object.entries(details.changes).flatMap(([field, change]) =>
      isObject(change) ? [{ field, before: change.before, after: change.after }] : [],
    );
  }
  const { before, after } = details;
  if (!isObject(before) || !isObject(after)) return [];
  return Object.keys(after)
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => ({ field, before: before[field], after: after[field] }));
}

/** A changed value as one line of text. */
export function changeText(value: unknown): string {
  if (value === undefined || value === null) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}
