//! Number and time formatting shared by every page. Missing values render as an en dash, never as 0.

export const MISSING = "–";

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** 1536 → "1.5 KiB"; binary units because that is what operating systems show for memory and disks. */
export function formatBytes(bytes: number | null | undefined, fractionDigits = 1): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return MISSING;
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : fractionDigits;
  return `${sign}${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** 12.345 → "12.3 %". */
export function formatPercent(percent: number | null | undefined, fractionDigits = 1): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return MISSING;
  return `${percent.toFixed(fractionDigits)} %`;
}

/** Used share of a total in percent, or null when either side is unknown or the total is zero. */
export function usagePercent(used: number | null | undefined, total: number | null | undefined): number | null {
  if (used === null || used === undefined || total === null || total === undefined) return null;
  if (!Number.isFinite(used) || !Number.isFinite(total) || total <= 0) return null;
  return Math.min(100, Math.max(0, (used / total) * 100));
}

const relativeFormatter = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 minutes ago", "in 2 hours"; `now` is a parameter so tests are deterministic. */
export function formatRelativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "never";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return MISSING;
  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 10) return "just now";
  if (abs < 60) return relativeFormatter.format(seconds, "second");
  if (abs < 3600) return relativeFormatter.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return relativeFormatter.format(Math.round(seconds / 3600), "hour");
  if (abs < 30 * 86_400) return relativeFormatter.format(Math.round(seconds / 86_400), "day");
  if (abs < 365 * 86_400) return relativeFormatter.format(Math.round(seconds / (30 * 86_400)), "month");
  return relativeFormatter.format(Math.round(seconds / (365 * 86_400)), "year");
}

/** The exact local date and time, for tooltips next to relative times. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return MISSING;
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** 93784 → "1d 2h 3m". */
export function formatDuration(totalSeconds: number | null | undefined): string {
  if (totalSeconds === null || totalSeconds === undefined || !Number.isFinite(totalSeconds) || totalSeconds < 0) return MISSING;
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m`;
  return `${Math.floor(totalSeconds)}s`;
}

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

/** A command's duration as its row shows it: while it runs and once it finished; "–" while it waits. */
export function formatRunDuration(command: { status: string; started_at?: string | null; finished_at?: string | null }): string {
  return command.finished_at || command.status === "running" ? formatCommandDuration(commandDurationMs(command)) : MISSING;
}

/** The exit code cell's class: green for 0, red for any other code, muted without one. */
export function exitCodeClass(exitCode: number | null | undefined): string {
  const tone = exitCode === 0 ? "text-success" : exitCode != null ? "text-destructive" : "text-muted-foreground";
  return `text-right font-mono tabular-nums ${tone}`;
}
