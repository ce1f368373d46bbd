//! A job's counts as the segments of its progress bar and a one-line summary.
import type { JobCounts } from "@/api/types";

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

/** A job's parameter values as `Name=value` text, in the order the server sent them. */
export function formatJobParameters(parameters: unknown): string[] {
  if (typeof parameters !== "object" || parameters === null) return [];
  return Object.entries(parameters as Record<string, unknown>).map(
    ([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`,
  );
}
