//! A command's lifecycle as the server reports it. The wire type is a plain string (the server may
//! add statuses), so anything unknown is treated as "still going" and shown as it is.

export const COMMAND_STATUSES = ["queued", "running", "completed", "failed", "timeout", "cancelled", "interrupted", "expired"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

const FINAL_STATUSES: ReadonlySet<string> = new Set(["completed", "failed", "timeout", "cancelled", "interrupted", "expired"]);

/** Whether the command has ended and its output is complete. */
export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

export const COMMAND_STATUS_LABELS: Record<CommandStatus, string> = {
  queued: "Queued",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  timeout: "Timed out",
  cancelled: "Cancelled",
  interrupted: "Interrupted",
  expired: "Expired",
};

export const COMMAND_TYPE_LABELS: Record<string, string> = {
  shell: "Shell",
  powershell: "PowerShell",
  python: "Python",
  script: "Script",
};

/** Milliseconds from start to end (or to `now` while running); null before it started. */
export function commandDurationMs(
  command: { started_at?: string | null; finished_at?: string | null },
  now: number = Date.now(),
): number | null {
  if (!command.started_at) return null;
  const start = Date.parse(command.started_at);
  const end = command.finished_at ? Date.parse(command.finished_at) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, end - start);
}

/** 42 → "42 ms", 12_300 → "12.3 s", 125_000 → "2m 05s", 3_723_000 → "1h 02m". */
export function formatCommandDuration(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, "0")}m`;
  return `${minutes}m ${String(seconds).padStart(2, "0")}s`;
}

/** The first non-empty line of a command, with "…" when more follows (for one-line summaries). */
export function commandFirstLine(text: string): string {
  const trimmed = text.trim();
  const newline = trimmed.indexOf("\n");
  return newline === -1 ? trimmed : `${trimmed.slice(0, newline).trimEnd()} …`;
}
