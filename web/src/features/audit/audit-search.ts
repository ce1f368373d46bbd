//! The audit log's URL state (action, actor, object, days and page) and the API query and export
//! link it stands for. Days are the browser's calendar days: `from` starts at its midnight, `to` ends
//! at the last millisecond of its day.
import type { paths } from "@/api/schema";
import { compact, optionalPage, optionalText } from "@/lib/search-params";

export interface AuditSearch {
  /** Exactly this action (`create_client`, `sign_in`, `request_refused`…). */
  action?: string;
  /** Part of the actor's email or name, or an id. */
  actor?: string;
  /** Events about this object id. */
  target_id?: string;
  /** The first day shown, `YYYY-MM-DD`. */
  from?: string;
  /** The last day shown, `YYYY-MM-DD`. */
  to?: string;
  page?: number;
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar day as `YYYY-MM-DD` (what a date input gives), else undefined. */
export function optionalDay(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = DAY_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(year, month - 1, day);
  // 2026-02-31 rolls over into March: not a day.
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return undefined;
  return match[0];
}

export function parseAuditSearch(raw: Record<string, unknown>): AuditSearch {
  return compact({
    action: optionalText(raw.action),
    actor: optionalText(raw.actor),
    target_id: optionalText(raw.target_id),
    from: optionalDay(raw.from),
    to: optionalDay(raw.to),
    page: optionalPage(raw.page),
  });
}

export function hasAuditFilters(search: AuditSearch): boolean {
  return Boolean(search.action || search.actor || search.target_id || search.from || search.to);
}

/** The local midnight starting `day`, as RFC 3339. */
function startOfDay(day: string): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, date).toISOString();
}

/** The last millisecond of `day`, local time, as RFC 3339. */
function endOfDay(day: string): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(new Date(year, month - 1, date + 1).getTime() - 1).toISOString();
}

export type AuditListQuery = NonNullable<paths["/api/v1/audit"]["get"]["parameters"]["query"]>;
type AuditFilterQuery = Omit<AuditListQuery, "page" | "per_page">;

function filterQuery(search: AuditSearch): AuditFilterQuery {
  return compact({
    action: search.action,
    actor: search.actor,
    target_id: search.target_id,
    from: search.from ? startOfDay(search.from) : undefined,
    to: search.to ? endOfDay(search.to) : undefined,
  });
}

export function auditListQuery(search: AuditSearch, perPage: number): AuditListQuery {
  return { ...filterQuery(search), page: search.page ?? 1, per_page: perPage };
}

export type AuditExportFormat = "csv" | "jsonl";

/**
 * The export of the events the filters show (every page), as a same-origin link: the browser sends
 * the session cookie with it and saves the answer as the file the server names.
 */
export function auditExportHref(search: AuditSearch, format: AuditExportFormat): string {
  const params = new URLSearchParams({ format, ...filterQuery(search) });
  return `/api/v1/audit/export?${params.toString()}`;
}
