//! Pure helpers for a check's timeline: the strip of states over the last hours from its state
//! changes, and how long it has been in its current state.
import type { CheckHistoryEntry, CheckState } from "@/api/types";

/** `unknown`: before the oldest change the window holds, the state is not known. */
export type StripState = CheckState | "unknown";

export interface StripSegment {
  state: StripState;
  /** Milliseconds since the epoch. */
  from: number;
  to: number;
  /** Share of the window, 0 to 1. */
  fraction: number;
}

/**
 * The window `[now - hours, now]` cut into runs of one state. `changes` are the runs that changed
 * the state (newest first, as the API answers); `current` and `since` are the check's state now
 * and since when, which fill the window when no change falls in it.
 */
export function historySegments(
  changes: readonly CheckHistoryEntry[],
  current: { state: CheckState; since?: string | null },
  now: number,
  hours: number,
): StripSegment[] {
  const start = now - hours * 3_600_000;
  const points = changes
    .map((change) => ({ state: change.state, at: Date.parse(change.checked_at) }))
    .filter((point) => Number.isFinite(point.at) && point.at >= start && point.at <= now)
    .sort((a, b) => a.at - b.at);
  if (points.length === 0) {
    const since = current.since ? Date.parse(current.since) : Number.NaN;
    if (Number.isFinite(since) && since > start && since < now) points.push({ state: current.state, at: since });
  }
  const raw: Omit<StripSegment, "fraction">[] = [];
  let state: StripState = points.length === 0 && current.since && Date.parse(current.since) <= start ? current.state : "unknown";
  let from = start;
  for (const point of points) {
    if (point.at > from) raw.push({ state, from, to: point.at });
    state = point.state;
    from = point.at;
  }
  if (now > from) raw.push({ state, from, to: now });
  // Runs of the same state (a change the window saw twice) become one.
  const merged: Omit<StripSegment, "fraction">[] = [];
  for (const segment of raw) {
    const last = merged[merged.length - 1];
    if (last && last.state === segment.state) last.to = segment.to;
    else merged.push({ ...segment });
  }
  const span = now - start;
  return merged.map((segment) => ({ ...segment, fraction: span > 0 ? (segment.to - segment.from) / span : 0 }));
}

/** "for 3 h 20 min": how long the check has been in its state, or null when unknown. */
export function stateDuration(since: string | null | undefined, now: number): string | null {
  if (!since) return null;
  const ms = now - Date.parse(since);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** Why "Run checks now" cannot run, or null when it can. */
export function runChecksBlocker(agentOnline: boolean, checkCount: number): string | null {
  if (!agentOnline) return "The agent is offline; it runs its checks when it reconnects.";
  if (checkCount === 0) return "No check applies to this agent: assign a policy with checks.";
  return null;
}
