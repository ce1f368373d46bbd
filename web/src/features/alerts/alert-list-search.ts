//! The alerts list's URL state (status, severity, kind, client, site, search, page and the open
//! alert) and the API query it stands for. The status defaults to `unresolved` (open or
//! acknowledged): what a technician has to look at. `all` shows resolved alerts too.
import type { AlertKind, Severity } from "@/api/types";
import type { paths } from "@/api/schema";
import { compact, optionalEnum, optionalPage, optionalText, optionalUuid } from "@/lib/search-params";
import { ALERT_KINDS, SEVERITIES } from "@/lib/monitoring";

export const ALERT_STATUS_FILTERS = ["unresolved", "open", "acknowledged", "resolved", "all"] as const;
export type AlertStatusFilter = (typeof ALERT_STATUS_FILTERS)[number];
export const DEFAULT_ALERT_STATUS: AlertStatusFilter = "unresolved";

const NON_DEFAULT_STATUSES = ALERT_STATUS_FILTERS.filter(
  (status): status is Exclude<AlertStatusFilter, "unresolved"> => status !== DEFAULT_ALERT_STATUS,
);

export interface AlertListSearch {
  /** Absent: the default, `unresolved`. */
  status?: Exclude<AlertStatusFilter, "unresolved">;
  severity?: Severity;
  kind?: AlertKind;
  client_id?: string;
  site_id?: string;
  q?: string;
  page?: number;
  /** The alert whose details are open. */
  alert?: string;
}

export function parseAlertListSearch(raw: Record<string, unknown>): AlertListSearch {
  return compact({
    // The default status is left out of the URL, like page 1.
    status: optionalEnum(raw.status, NON_DEFAULT_STATUSES),
    severity: optionalEnum(raw.severity, SEVERITIES),
    kind: optionalEnum(raw.kind, ALERT_KINDS),
    client_id: optionalUuid(raw.client_id),
    site_id: optionalUuid(raw.site_id),
    q: optionalText(raw.q),
    page: optionalPage(raw.page),
    alert: optionalUuid(raw.alert),
  });
}

/** Whether any filter narrows the list beyond the default status. */
export function hasAlertFilters(search: AlertListSearch): boolean {
  return Boolean(search.status || search.severity || search.kind || search.client_id || search.site_id || search.q);
}

export type AlertListQuery = NonNullable<paths["/api/v1/alerts"]["get"]["parameters"]["query"]>;

/** The `GET /api/v1/alerts` query for a list's state, optionally of one agent. */
export function alertListQuery(search: Omit<AlertListSearch, "alert">, perPage: number, agentId?: string): AlertListQuery {
  const status = search.status ?? DEFAULT_ALERT_STATUS;
  return compact({
    status: status === "all" ? undefined : status,
    severity: search.severity,
    kind: search.kind,
    client_id: search.client_id,
    site_id: search.site_id,
    agent_id: agentId,
    q: search.q,
    page: search.page ?? 1,
    per_page: perPage,
  });
}
