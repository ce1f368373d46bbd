//! A job's counts as the segments of its progress bar and a one-line summary.
import type { JobCounts } from "@/api/types";
import { HIDDEN_VALUE } from "@/lib/env-lines";

export type ProgressPart = "completed" | "failed" | "running" | "queued";

export interface JobProgress {
  /** Share of the bar for each part, in percent; they add up to 100 when the job has agents. */
  percent: Record<ProgressPart, number>;
  /** Agents whose command has ended, either way. */
  finished: number;
  total: number;
  /** "3 of 5 finished", "5 of 5 finished". */
  label: string;
}

export const PROGRESS_PARTS: ProgressPart[] = ["completed", "failed", "running", "queued"];

export function jobProgress(counts: JobCounts): JobProgress {
  const total = Math.max(0, counts.total);
  const share = (count: number) => (total === 0 ? 0 : (Math.max(0, count) / total) * 100);
  const finished = counts.completed + counts.failed;
  return {
    percent: {
      completed: share(counts.completed),
      failed: share(counts.failed),
      running: share(counts.running),
      queued: share(counts.queued),
    },
    finished,
    total,
    label: `${finished} of ${total} finished`,
  };
}

export interface JobParameter {
  name: string;
  /** The value as text; "" when hidden; the entry's name when taken from the vault. */
  value: string;
  /** A secret parameter's value, which a job shows to no one (the server sends `********`). */
  hidden: boolean;
  /** The value came from this vault entry (`value` is its name); the job never holds the value. */
  vault?: boolean;
}

/** A vault reference as the server answers it: `{vault_entry_id, entry_name}`. */
function vaultEntryName(value: unknown): string | null {
  if (typeof value !== "object" || value === null || !("vault_entry_id" in value) || !("entry_name" in value)) return null;
  return typeof value.entry_name === "string" ? value.entry_name : null;
}

/** A job's parameter values as text, in the order the server sent them. */
export function formatJobParameters(parameters: unknown): JobParameter[] {
  if (typeof parameters !== "object" || parameters === null) return [];
  return Object.entries(parameters as Record<string, unknown>).map(([name, value]) => {
    if (value === HIDDEN_VALUE) return { name, value: "", hidden: true };
    const entryName = vaultEntryName(value);
    if (entryName !== null) return { name, value: entryName, hidden: false, vault: true };
    return { name, value: typeof value === "string" ? value : JSON.stringify(value), hidden: false };
  });
}
