//! An update policy's form (scope, target, channel, pinned version, maintenance windows only), the
//! request it makes (checked as `PUT /api/v1/update-policies` checks it), a 422 placed on its
//! field, and the policies in the order they apply (broadest first).
import type { PolicyScope, UpdateChannel, UpdatePolicy, UpdatePolicyRequest } from "@/api/types";
import { isSemanticVersion } from "./rollout-form";

export const UPDATE_POLICY_SCOPES: readonly PolicyScope[] = ["global", "client", "site", "agent"];
export const UPDATE_CHANNELS: readonly UpdateChannel[] = ["stable", "beta", "pinned", "manual"];
/** The server's limit on a version (`MAX_VERSION_CHARS`). */
export const MAX_VERSION_CHARS = 64;

export const UPDATE_CHANNEL_LABELS: Record<UpdateChannel, string> = {
  stable: "Stable",
  beta: "Beta",
  pinned: "Pinned",
  manual: "Manual",
};
export const UPDATE_CHANNEL_DESCRIPTIONS: Record<UpdateChannel, string> = {
  stable: "Rollouts of stable releases (1.2.0) reach these agents.",
  beta: "Rollouts of stable and beta releases (1.3.0-beta.1) reach these agents.",
  pinned: "Only a rollout of the pinned version reaches these agents.",
  manual: "No rollout reaches these agents: update them one by one with “Update now”.",
};

/** What applies to an agent without any policy (`EffectiveUpdatePolicy::default`). */
export const DEFAULT_POLICY_TEXT = "Stable, at any time";

export interface UpdatePolicyFormValues {
  scope: PolicyScope;
  targetId: string | null;
  channel: UpdateChannel;
  pinnedVersion: string;
  maintenanceOnly: boolean;
}

export type UpdatePolicyField = "target" | "pinned_version";
export type UpdatePolicyProblems = Partial<Record<UpdatePolicyField, string>>;
export type UpdatePolicyResult = { ok: true; body: UpdatePolicyRequest } | { ok: false; problems: UpdatePolicyProblems };

export function newUpdatePolicyForm(policy?: UpdatePolicy): UpdatePolicyFormValues {
  if (!policy) return { scope: "client", targetId: null, channel: "stable", pinnedVersion: "", maintenanceOnly: false };
  return {
    scope: policy.scope,
    targetId: policy.target_id ?? null,
    channel: policy.channel,
    pinnedVersion: policy.pinned_version ?? "",
    maintenanceOnly: policy.maintenance_only,
  };
}

export function buildUpdatePolicyRequest(values: UpdatePolicyFormValues): UpdatePolicyResult {
  const problems: UpdatePolicyProblems = {};
  if (values.scope !== "global" && !values.targetId) problems.target = `Pick the ${values.scope}.`;
  const pinned = values.pinnedVersion.trim();
  if (values.channel === "pinned") {
    if (pinned.length === 0) problems.pinned_version = "Give the version to hold the agents at.";
    else if ([...pinned].length > MAX_VERSION_CHARS) problems.pinned_version = `At most ${MAX_VERSION_CHARS} characters.`;
    else if (!isSemanticVersion(pinned)) problems.pinned_version = "A semantic version, like 1.2.0 or 1.3.0-beta.1.";
  }
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return {
    ok: true,
    body: {
      scope: values.scope,
      target_id: values.scope === "global" ? null : values.targetId,
      channel: values.channel,
      // The server refuses a version on any other channel.
      pinned_version: values.channel === "pinned" ? pinned : null,
      maintenance_only: values.maintenanceOnly,
    },
  };
}

/** `pinned_version "x" is not a semantic version: …` or `target_id: …` → its field. */
export function updatePolicyProblemFromServer(message: string): { field: UpdatePolicyField; message: string } | null {
  if (/^pinned_version\b/.test(message)) return { field: "pinned_version", message: message.replace(/^pinned_version:\s*/, "") };
  const target = /^target_id:\s*(.*)$/s.exec(message);
  if (target) return { field: "target", message: target[1] || message };
  return null;
}

/** "Pinned to 1.2.0", "Beta", … */
export function describeChannel(policy: Pick<UpdatePolicy, "channel" | "pinned_version">): string {
  return policy.channel === "pinned" ? `Pinned to ${policy.pinned_version ?? "?"}` : UPDATE_CHANNEL_LABELS[policy.channel];
}

/** The order they apply in: the organization's first, then clients, sites and agents, each by name. */
export function sortUpdatePolicies<T extends Pick<UpdatePolicy, "scope" | "target_id">>(
  policies: readonly T[],
  names: ReadonlyMap<string, string | null>,
): T[] {
  const rank = (policy: T) => UPDATE_POLICY_SCOPES.indexOf(policy.scope);
  const name = (policy: T) => (policy.target_id ? (names.get(policy.target_id) ?? "") : "");
  return [...policies].sort((a, b) => rank(a) - rank(b) || name(a).localeCompare(name(b)));
}

/** The policy already set on the scope and target the form names (saving replaces it). */
export function existingPolicyFor<T extends Pick<UpdatePolicy, "scope" | "target_id">>(
  policies: readonly T[],
  scope: PolicyScope,
  targetId: string | null,
): T | null {
  return policies.find((policy) => policy.scope === scope && (policy.target_id ?? null) === (scope === "global" ? null : targetId)) ?? null;
}
