//! Which published releases an agent can be updated to: semantic version order (the server and the
//! agent refuse a version that is not newer, by the same rules), the agent's own platform and
//! architecture, and releases still inside their signed validity.
import type { AgentRelease } from "@/api/types";

/** The agent's product in the releases directory (the watchdog's builds are `gururmm-watchdog`). */
export const AGENT_PRODUCT = "gururmm-agent";

interface ParsedVersion {
  core: [number, number, number];
  /** Dot-separated pre-release identifiers (`beta.1` → `["beta", "1"]`); empty for a release. */
  pre: string[];
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function parseVersion(text: string): ParsedVersion | null {
  const match = SEMVER.exec(text.trim());
  if (!match) return null;
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] ? match[4].split(".") : [] };
}

function compareIdentifiers(a: string, b: string): number {
  const numericA = /^\d+$/.test(a);
  const numericB = /^\d+$/.test(b);
  if (numericA && numericB) return Math.sign(Number(a) - Number(b));
  // Numeric identifiers sort before alphanumeric ones; those compare in ASCII order.
  if (numericA !== numericB) return numericA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semantic version precedence (`0.3.0-beta.1` < `0.3.0` < `0.10.0`; build metadata ignored):
 * negative, zero or positive, or null when either is not a semantic version.
 */
export function compareVersions(a: string, b: string): number | null {
  const left = parseVersion(a);
  const right = parseVersion(b);
  if (!left || !right) return null;
  for (let index = 0; index < 3; index += 1) {
    if (left.core[index] !== right.core[index]) return Math.sign(left.core[index]! - right.core[index]!);
  }
  // A pre-release comes before its release.
  if (left.pre.length === 0 && right.pre.length === 0) return 0;
  if (left.pre.length === 0) return 1;
  if (right.pre.length === 0) return -1;
  for (let index = 0; index < Math.min(left.pre.length, right.pre.length); index += 1) {
    const order = compareIdentifiers(left.pre[index]!, right.pre[index]!);
    if (order !== 0) return order;
  }
  return Math.sign(left.pre.length - right.pre.length);
}

/**
 * Whether `candidate` is newer than the agent's `installed` version. An agent whose version is not
 * a semantic version (a development build) may take any release: the server does not compare then
 * either.
 */
export function isNewerVersion(candidate: string, installed: string): boolean {
  const order = compareVersions(candidate, installed);
  if (order !== null) return order > 0;
  return parseVersion(candidate) !== null && parseVersion(installed) === null;
}

/** What of an agent decides which releases fit it. */
export interface UpdateTarget {
  /** `linux`, `windows` or `macos`: the agent's OS family, named as the release manifests name platforms. */
  platform: string;
  arch: string;
  agentVersion: string;
}

/** The agent's releases for the target that agents still accept at `now`, newest first. */
export function releasesFor(releases: readonly AgentRelease[], target: UpdateTarget, now: number): AgentRelease[] {
  return releases
    .filter(
      (release) =>
        release.product === AGENT_PRODUCT &&
        release.platform === target.platform &&
        release.arch === target.arch &&
        Date.parse(release.expires_at) > now &&
        parseVersion(release.version) !== null,
    )
    .sort((a, b) => compareVersions(b.version, a.version) ?? 0);
}

/** The releases the agent can be updated to (newer than it runs), newest first. */
export function updateChoices(releases: readonly AgentRelease[], target: UpdateTarget, now: number): AgentRelease[] {
  return releasesFor(releases, target, now).filter((release) => isNewerVersion(release.version, target.agentVersion));
}

/** The choice a technician most likely wants: the newest stable release, else the newest beta. */
export function preferredChoice(choices: readonly AgentRelease[]): AgentRelease | null {
  return choices.find((release) => release.channel === "stable") ?? choices[0] ?? null;
}
