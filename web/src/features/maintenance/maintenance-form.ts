//! A maintenance window's form (scope, target, start and end as local date-times, weekly, reason),
//! the request it makes (checked as the server checks it), a 422 placed on its field, and when an
//! active window ends (a weekly one: its current occurrence).
import type { MaintenanceWindow, MaintenanceWindowRequest } from "@/api/types";

export const MAINTENANCE_SCOPES = ["agent", "site", "client"] as const;
export type MaintenanceScope = (typeof MAINTENANCE_SCOPES)[number];

export const MAX_ONE_OFF_DAYS = 90;
export const MAX_WEEKLY_DAYS = 7;
export const MAX_REASON_CHARS = 500;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export interface MaintenanceFormValues {
  scope: MaintenanceScope;
  targetId: string | null;
  /** `YYYY-MM-DDTHH:mm` in the browser's time zone, as an `<input type="datetime-local">` holds it. */
  startsAt: string;
  endsAt: string;
  weekly: boolean;
  reason: string;
}

export type MaintenanceField = "target" | "starts_at" | "ends_at" | "reason";
export type MaintenanceProblems = Partial<Record<MaintenanceField, string>>;
export type MaintenanceResult = { ok: true; body: MaintenanceWindowRequest } | { ok: false; problems: MaintenanceProblems };

/** A date as a `datetime-local` value in the browser's time zone. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Starts now (to the minute) and lasts two hours. */
export function newMaintenanceForm(now: Date, scope: MaintenanceScope = "site", targetId: string | null = null): MaintenanceFormValues {
  const start = new Date(now);
  start.setSeconds(0, 0);
  return {
    scope,
    targetId,
    startsAt: toLocalInput(start),
    endsAt: toLocalInput(new Date(start.getTime() + 2 * 3_600_000)),
    weekly: false,
    reason: "",
  };
}

function parseLocal(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function buildMaintenanceRequest(values: MaintenanceFormValues, now: Date): MaintenanceResult {
  const problems: MaintenanceProblems = {};
  if (!values.targetId) problems.target = `Pick the ${values.scope}.`;
  const start = parseLocal(values.startsAt);
  const end = parseLocal(values.endsAt);
  if (!start) problems.starts_at = "Pick a start.";
  if (!end) problems.ends_at = "Pick an end.";
  if (start && end) {
    const longest = values.weekly ? MAX_WEEKLY_DAYS : MAX_ONE_OFF_DAYS;
    if (end <= start) problems.ends_at = "Must be after the start.";
    else if (end.getTime() - start.getTime() > longest * DAY_MS)
      problems.ends_at = `A ${values.weekly ? "weekly" : "one-off"} window lasts at most ${longest} days.`;
    else if (!values.weekly && end <= now) problems.ends_at = "The window is already over.";
  }
  const reason = values.reason.trim();
  if ([...reason].length > MAX_REASON_CHARS) problems.reason = `At most ${MAX_REASON_CHARS} characters.`;
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f]/.test(reason)) problems.reason = "One line, without control characters.";
  if (Object.keys(problems).length > 0 || !start || !end || !values.targetId) return { ok: false, problems };
  return {
    ok: true,
    body: {
      scope: values.scope,
      target_id: values.targetId,
      starts_at: start.toISOString(),
      ends_at: end.toISOString(),
      weekly: values.weekly,
      reason,
    },
  };
}

const SERVER_FIELDS: Record<string, MaintenanceField> = {
  starts_at: "starts_at",
  ends_at: "ends_at",
  reason: "reason",
  target_id: "target",
  scope: "target",
};

/** `ends_at: must be after starts_at` → the end field. Null when no field is named. */
export function maintenanceProblemFromServer(message: string): { field: MaintenanceField; message: string } | null {
  const match = /^(\w+):\s*(.*)$/s.exec(message);
  const field = match ? SERVER_FIELDS[match[1] ?? ""] : undefined;
  return field && match ? { field, message: match[2] || message } : null;
}

/** When an active window ends: its end, or for a weekly one the end of the occurrence under way. */
export function activeUntil(window: Pick<MaintenanceWindow, "starts_at" | "ends_at" | "weekly">, now: number): Date {
  const start = Date.parse(window.starts_at);
  const end = Date.parse(window.ends_at);
  if (!window.weekly || now < start) return new Date(end);
  const weeks = Math.floor((now - start) / WEEK_MS);
  return new Date(end + weeks * WEEK_MS);
}

/** The windows active now on a client or site page's target. */
export function activeWindowsOn(windows: readonly MaintenanceWindow[], scope: MaintenanceScope, targetId: string): MaintenanceWindow[] {
  return windows.filter((window) => window.active && window.scope === scope && window.target_id === targetId);
}
