//! The words of the agent updates card: attempt states, the agent's refusal and failure codes as a
//! technician reads them, the progress of an attempt as a sentence, and the watchdog's events.
import type { AgentUpdate, UpdateState, WatchdogEventKind } from "@/api/types";

type BadgeVariant = "success" | "info" | "warning" | "destructive" | "muted";

export const UPDATE_STATE_LABELS: Record<UpdateState, string> = {
  offered: "Offered",
  downloading: "Downloading",
  staged: "Staged, restarting",
  installed: "Installed",
  refused: "Refused",
  failed: "Failed",
  rolled_back: "Rolled back",
};

export const UPDATE_STATE_VARIANTS: Record<UpdateState, BadgeVariant> = {
  offered: "info",
  downloading: "info",
  staged: "info",
  installed: "success",
  refused: "destructive",
  failed: "destructive",
  rolled_back: "warning",
};

/** The steps of an attempt that goes well, in order. */
export const UPDATE_STEPS = ["offered", "downloading", "staged", "installed"] as const satisfies readonly UpdateState[];

/** Still moving: the agent or its watchdog has more to report. */
export function isUpdateUnderWay(state: UpdateState): boolean {
  return state === "offered" || state === "downloading" || state === "staged";
}

/**
 * What the agent's code means. Refusals come from the release checks (`gururmm-update`'s
 * `Refusal::code`), failures from the agent's update task, `rolled_back` from the server when the
 * watchdog reports a rollback.
 */
const UPDATE_REASONS: Record<string, string> = {
  unsigned: "The release came without a signature",
  malformed: "The release's signed files are malformed",
  unknown_key: "Signed by a key this agent does not trust",
  revoked_key: "Signed by a key that has been revoked",
  bad_signature: "Signature does not match: the release was altered",
  stale_keys: "The signing-key statement is older than one this agent already accepted (a replayed statement)",
  expired: "The release or its signing-key statement has expired: sign and publish it again",
  not_newer: "Not newer than the version this agent runs",
  other_target: "Built for another operating system, architecture or product",
  size_mismatch: "The downloaded file's size differs from the signed manifest's",
  hash_mismatch: "The downloaded file's SHA-256 differs from the signed manifest's: it was altered or corrupted",
  rolled_back_before: "This version was rolled back on this computer before, so the agent does not try it again",
  no_watchdog: "This agent runs without its watchdog (not installed as a service), so it cannot update itself",
  download: "The download failed",
  self_check: "The new version failed its self-check",
  stage: "The new version could not be handed to the watchdog",
  state: "The agent could not record the update in its state directory",
  internal: "The agent's update task stopped unexpectedly",
  rolled_back: "The new version did not report healthy in time, so the watchdog restored the previous one",
};

/** The code in words; an unknown code is shown as it is, and no code gives null. */
export function updateReason(code: string | null | undefined): string | null {
  if (!code) return null;
  return UPDATE_REASONS[code] ?? `Code ${code}`;
}

/**
 * Where an attempt is, as a sentence; `agentOnline` tells whether an offer can be answered now. The
 * reason of an attempt that went wrong is [`updateReason`]'s, shown beside it.
 */
export function updateProgress(update: Pick<AgentUpdate, "state" | "version" | "from_version">, agentOnline: boolean): string {
  const { version, from_version: from } = update;
  switch (update.state) {
    case "offered":
      return agentOnline
        ? `Offered ${version} to the agent; waiting for it to check the release's signatures.`
        : `The agent is offline: it gets the update to ${version} when it connects.`;
    case "downloading":
      return `The agent verified the signatures of ${version} and is downloading it.`;
    case "staged":
      return `${version} passed its self-check; the watchdog is swapping it in and restarting the agent. If it does not report healthy in time, ${from} is restored.`;
    case "installed":
      return `${version} is installed and reported healthy.`;
    case "refused":
      return `The agent refused ${version} and runs ${from} on.`;
    case "failed":
      return `Updating to ${version} failed; the agent runs ${from} on.`;
    case "rolled_back":
      return `${version} was rolled back; the agent runs ${from} again.`;
  }
}

/** Who started an attempt: a user's "update now", or (without a user) a staged rollout's wave. */
export function requestedBy(update: Pick<AgentUpdate, "requested_by_email">): string {
  return update.requested_by_email ?? "a rollout";
}

export const WATCHDOG_EVENT_LABELS: Record<WatchdogEventKind, string> = {
  restarted: "Restarted the agent",
  repeated_failures: "Repeated failed starts",
  update_installed: "Update installed",
  rolled_back: "Update rolled back",
  swap_failed: "Swap failed",
};

export const WATCHDOG_EVENT_VARIANTS: Record<WatchdogEventKind, BadgeVariant> = {
  restarted: "muted",
  repeated_failures: "destructive",
  update_installed: "success",
  rolled_back: "warning",
  swap_failed: "destructive",
};

/** `linux`/`x86_64` → "Linux x86_64". */
export function targetLabel(platform: string, arch: string): string {
  const names: Record<string, string> = { linux: "Linux", windows: "Windows", macos: "macOS" };
  return `${names[platform] ?? platform} ${arch}`;
}
