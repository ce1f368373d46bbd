//! The rules of the rollout pages as pure functions: which releases can be rolled out (newest
//! first, by semantic version), the start form's waves and failure limit checked as the server checks
//! them (`rollout_rules::validate_waves`), the sentence that sums a rollout up, and why "Start
//! rollout" may not be available.
import type { AgentRelease, AgentReleaseList, ReleaseChannel, Rollout, RolloutRequest, RolloutState, WaveState } from "@/api/types";

/** The product whose releases rollouts hand out; the watchdog travels beside it. */
export const AGENT_PRODUCT = "gururmm-agent";
export const DEFAULT_WAVES: readonly number[] = [1, 10, 50, 100];
export const DEFAULT_MAX_FAILURE_PERCENT = 10;
/** The server's limits (`validate_waves`). */
export const MAX_WAVES = 10;

export const ROLLOUT_STATE_LABELS: Record<RolloutState, string> = {
  running: "Running",
  halted: "Halted",
  completed: "Completed",
  cancelled: "Cancelled",
};
export const ROLLOUT_STATE_VARIANTS: Record<RolloutState, "info" | "destructive" | "success" | "muted"> = {
  running: "info",
  halted: "destructive",
  completed: "success",
  cancelled: "muted",
};
export const WAVE_STATE_LABELS: Record<WaveState, string> = { pending: "Pending", current: "Current", passed: "Passed" };
export const RELEASE_CHANNEL_LABELS: Record<ReleaseChannel, string> = { stable: "Stable", beta: "Beta" };

/** Running or halted: the one rollout of the organization that still acts (or waits for a decision). */
export function isActiveRollout(rollout: Pick<Rollout, "state">): boolean {
  return rollout.state === "running" || rollout.state === "halted";
}

/** The newest rollout still running or halted (the server allows one per organization). */
export function activeRollout<T extends Pick<Rollout, "state">>(rollouts: readonly T[]): T | null {
  return rollouts.find(isActiveRollout) ?? null;
}

interface ParsedVersion {
  core: [number, number, number];
  pre: string[];
}

function parseVersion(version: string): ParsedVersion | null {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version.trim());
  if (!match) return null;
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] ? match[4].split(".") : [] };
}

/** Whether the text is a semantic version (`1.2.3`, `1.3.0-beta.1`), as the server requires. */
export function isSemanticVersion(version: string): boolean {
  return parseVersion(version) !== null;
}

/** Semantic version precedence: negative when `a` is older. Unparsable versions sort oldest. */
export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a);
  const right = parseVersion(b);
  if (!left || !right) return (left ? 1 : 0) - (right ? 1 : 0);
  for (let i = 0; i < 3; i++) {
    const difference = left.core[i]! - right.core[i]!;
    if (difference !== 0) return difference;
  }
  // A pre-release comes before its release.
  if (left.pre.length === 0 || right.pre.length === 0) return right.pre.length - left.pre.length;
  for (let i = 0; i < Math.max(left.pre.length, right.pre.length); i++) {
    const l = left.pre[i];
    const r = right.pre[i];
    if (l === undefined || r === undefined) return l === undefined ? -1 : 1;
    const ln = /^\d+$/.test(l) ? Number(l) : null;
    const rn = /^\d+$/.test(r) ? Number(r) : null;
    if (ln !== null && rn !== null && ln !== rn) return ln - rn;
    if ((ln === null) !== (rn === null)) return ln === null ? 1 : -1;
    if (l !== r) return l < r ? -1 : 1;
  }
  return 0;
}

/** One version of the agent as the start dialog offers it: its builds' platforms and whether it expired. */
export interface ReleaseVersion {
  version: string;
  channel: ReleaseChannel;
  /** `linux/x86_64`, … */
  platforms: string[];
  /** Every build of it is past its expiry: agents would refuse it. */
  expired: boolean;
}

/** The agent's published versions, newest first. */
export function agentVersions(releases: readonly AgentRelease[], now: number): ReleaseVersion[] {
  const byVersion = new Map<string, ReleaseVersion>();
  for (const release of releases) {
    if (release.product !== AGENT_PRODUCT) continue;
    const expired = Date.parse(release.expires_at) <= now;
    const entry = byVersion.get(release.version);
    const platform = `${release.platform}/${release.arch}`;
    if (entry) {
      if (!entry.platforms.includes(platform)) entry.platforms.push(platform);
      entry.expired &&= expired;
    } else {
      byVersion.set(release.version, { version: release.version, channel: release.channel, platforms: [platform], expired });
    }
  }
  return [...byVersion.values()].sort((a, b) => compareVersions(b.version, a.version));
}

/** The version the start dialog proposes: the newest unexpired stable one, else the newest unexpired. */
export function defaultVersion(versions: readonly ReleaseVersion[]): string | null {
  const usable = versions.filter((version) => !version.expired);
  return (usable.find((version) => version.channel === "stable") ?? usable[0])?.version ?? null;
}

/** Why a rollout cannot start now, or null when it can. */
export function startBlockedReason(
  releases: Pick<AgentReleaseList, "configured" | "keys_present" | "items"> | undefined,
  active: Pick<Rollout, "version" | "state"> | null,
  now: number,
): string | null {
  if (active) return `The rollout of ${active.version} is ${active.state}: cancel it or let it finish before starting another.`;
  if (!releases) return "Loading the published releases…";
  if (!releases.configured) return "The server has no releases directory (GURURMM_RELEASES_DIR).";
  if (!releases.keys_present) return "The releases directory has no signed key statement: agents would trust no release.";
  const versions = agentVersions(releases.items, now);
  if (versions.length === 0) return "No agent release is published.";
  if (versions.every((version) => version.expired)) return "Every published agent release has expired.";
  return null;
}

export type WavesResult = { ok: true; waves: number[] } | { ok: false; problem: string };

/** `1, 10, 50, 100` → the waves, checked as the server checks them. */
export function parseWaves(text: string): WavesResult {
  const parts = text
    .split(/[,\s]+/)
    .map((part) => part.trim().replace(/%$/, ""))
    .filter((part) => part.length > 0);
  if (parts.length === 0 || parts.length > MAX_WAVES) return { ok: false, problem: `Give 1 to ${MAX_WAVES} percentages.` };
  const waves: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) < 1 || Number(part) > 100)
      return { ok: false, problem: `"${part}" is not a percentage from 1 to 100.` };
    waves.push(Number(part));
  }
  if (waves.some((wave, index) => index > 0 && wave <= waves[index - 1]!))
    return { ok: false, problem: "Each wave reaches a larger share than the one before." };
  if (waves[waves.length - 1] !== 100) return { ok: false, problem: "The last wave reaches 100% of the agents." };
  return { ok: true, waves };
}

export function formatWaves(waves: readonly number[]): string {
  return waves.join(", ");
}

export interface RolloutFormValues {
  version: string | null;
  waves: string;
  maxFailurePercent: string;
}

export type RolloutField = "version" | "waves" | "max_failure_percent";
export type RolloutProblems = Partial<Record<RolloutField, string>>;
export type RolloutResult = { ok: true; body: RolloutRequest } | { ok: false; problems: RolloutProblems };

export function newRolloutForm(version: string | null): RolloutFormValues {
  return { version, waves: formatWaves(DEFAULT_WAVES), maxFailurePercent: String(DEFAULT_MAX_FAILURE_PERCENT) };
}

/** The failure limit: a whole percentage from 0 to 100, or null. */
function parseMaxFailure(text: string): number | null {
  const trimmed = text.trim().replace(/%$/, "");
  if (!/^\d{1,3}$/.test(trimmed) || Number(trimmed) > 100) return null;
  return Number(trimmed);
}

export function buildRolloutRequest(values: RolloutFormValues): RolloutResult {
  const problems: RolloutProblems = {};
  if (!values.version) problems.version = "Pick a release.";
  const waves = parseWaves(values.waves);
  if (!waves.ok) problems.waves = waves.problem;
  const maxFailure = parseMaxFailure(values.maxFailurePercent);
  if (maxFailure === null) problems.max_failure_percent = "A whole percentage from 0 to 100.";
  if (!values.version || !waves.ok || maxFailure === null) return { ok: false, problems };
  return { ok: true, body: { version: values.version, waves: waves.waves, max_failure_percent: maxFailure } };
}

/** "1%, then 10%, 50% and 100%". */
function waveList(waves: readonly number[]): string {
  const [first, ...rest] = waves.map((wave) => `${wave}%`);
  if (rest.length === 0) return `${first} at once`;
  const last = rest.pop();
  return `${first}, then ${rest.length > 0 ? `${rest.join(", ")} and ` : ""}${last}`;
}

/** What starting the rollout will do, in one sentence. */
export function rolloutSummary(version: string, waves: readonly number[], maxFailurePercent: number): string {
  return (
    `Offers ${version} to ${waveList(waves)} of the eligible agents; ` +
    `a wave whose refused, failed and rolled-back updates exceed ${maxFailurePercent}% of its finished ones halts the rollout.`
  );
}

/** The server's 422 about a field (`waves must grow: …`, `max_failure_percent is …`), placed on it. */
export function rolloutProblemFromServer(message: string): { field: RolloutField; message: string } | null {
  if (/^waves\b|\bwave\b/.test(message)) return { field: "waves", message };
  if (/^max_failure_percent\b/.test(message)) return { field: "max_failure_percent", message };
  if (/^version\b/.test(message)) return { field: "version", message };
  return null;
}

/** A wave's updates that finished (installed, or refused, failed or rolled back). */
export function waveFinished(wave: { installed: number; failed: number }): number {
  return wave.installed + wave.failed;
}
