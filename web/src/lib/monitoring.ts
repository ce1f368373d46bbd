//! Names and orders of the monitoring enums (severities, check states, alert statuses and kinds,
//! policy scopes), shared by the overview, alerts, policies and checks features. Records keyed by
//! the schema's unions: a value the server adds fails the type check here.
import type { AlertKind, AlertStatus, CheckState, PolicyScope, Severity } from "@/api/types";

/** Most serious first, as lists and counts show them. */
export const SEVERITIES: readonly Severity[] = ["critical", "warning", "info"];
export const SEVERITY_LABELS: Record<Severity, string> = { critical: "Critical", warning: "Warning", info: "Info" };

export const CHECK_STATES: readonly CheckState[] = ["failing", "warning", "passing", "pending"];
export const CHECK_STATE_LABELS: Record<CheckState, string> = {
  failing: "Failing",
  warning: "Warning",
  passing: "Passing",
  pending: "Pending",
};

export const ALERT_STATUS_LABELS: Record<AlertStatus, string> = { open: "Open", acknowledged: "Acknowledged", resolved: "Resolved" };
export const ALERT_KINDS: readonly AlertKind[] = ["check", "offline", "site_offline", "agent_crashing"];
export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  check: "Check",
  offline: "Agent offline",
  site_offline: "Site offline",
  agent_crashing: "Agent keeps crashing",
};

/** From the least to the most specific, the order in which policies merge. */
export const POLICY_SCOPES: readonly PolicyScope[] = ["global", "client", "site", "agent"];
export const POLICY_SCOPE_LABELS: Record<PolicyScope, string> = { global: "Global", client: "Client", site: "Site", agent: "Agent" };
