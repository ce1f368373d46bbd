//! The agents list's filters and page, kept in the URL so a filtered view can be bookmarked and shared.
import type { AgentSortColumn, AgentStatus, CustomField, OsFamily } from "@/api/types";
import { changeListSearch, compact, optionalEnum, optionalPage, optionalText, optionalUuid } from "@/lib/search-params";

export const AGENT_STATUSES: readonly AgentStatus[] = ["online", "offline"];
export const OS_FAMILY_LABELS: Record<OsFamily, string> = { windows: "Windows", linux: "Linux", macos: "macOS" };
/** Read from the labels' keys: a family the server adds is a type error there until it is labelled. */
export const OS_FAMILIES = Object.keys(OS_FAMILY_LABELS) as readonly OsFamily[];

/** Every column the server sorts by (`GET /api/v1/agents?sort=`). A record so that a column the API gains
 * and this list lacks is a type error. */
const SORTABLE: Record<AgentSortColumn, true> = {
  hostname: true,
  alias: true,
  client: true,
  site: true,
  status: true,
  os: true,
  agent_version: true,
  last_seen: true,
  uptime: true,
  cpu: true,
  memory: true,
  disk: true,
  public_ip: true,
  local_ip: true,
  user: true,
  open_alerts: true,
  enrolled_at: true,
  serial: true,
};
export const AGENT_SORT_COLUMNS = Object.keys(SORTABLE) as readonly AgentSortColumn[];

export interface AgentListSearch {
  q?: string;
  client_id?: string;
  site_id?: string;
  status?: AgentStatus;
  /** Agents carrying this tag (tags are lowercase). */
  tag?: string;
  os?: OsFamily;
  /** Exactly this agent version. */
  version?: string;
  /** With `custom_value`: agents whose own, site's or client's value of this custom field (a key) is it. */
  custom_field?: string;
  custom_value?: string;
  /** The server's order; the hostname, ascending, when absent. */
  sort?: AgentSortColumn;
  order?: "desc";
  page?: number;
}

export function parseAgentListSearch(raw: Record<string, unknown>): AgentListSearch {
  const clientId = optionalUuid(raw.client_id);
  return compact({
    q: optionalText(raw.q),
    client_id: clientId,
    // A site only makes sense inside its client's filter; a site alone is allowed for links from a site page.
    site_id: optionalUuid(raw.site_id),
    status: optionalEnum(raw.status, AGENT_STATUSES),
    tag: optionalText(raw.tag)?.toLowerCase(),
    os: optionalEnum(raw.os, OS_FAMILIES),
    version: optionalText(raw.version),
    custom_field: optionalText(raw.custom_field),
    custom_value: optionalText(raw.custom_value),
    sort: optionalEnum(raw.sort, AGENT_SORT_COLUMNS),
    order: optionalEnum(raw.order, ["desc"] as const),
    page: optionalPage(raw.page),
  });
}

/**
 * Applies a filter change as every list does (`changeListSearch`: back to page 1 unless only the page
 * changes), and choosing another client clears the site, which belonged to the previous client.
 */
export function changeAgentListSearch(current: AgentListSearch, change: Partial<AgentListSearch>): AgentListSearch {
  const clearsSite = "client_id" in change && change.client_id !== current.client_id && !("site_id" in change);
  return changeListSearch(current, clearsSite ? { ...change, site_id: undefined } : change);
}

export function hasAgentFilters(search: AgentListSearch): boolean {
  return Boolean(
    search.q || search.client_id || search.site_id || search.status || search.tag || search.os || search.version || search.custom_field,
  );
}

/**
 * The custom field filter's menu: one entry per key (a key may name a field of several scopes: an
 * agent's, its site's, its client's), with the choices to pick from when every field of the key is a
 * choice field, else `null` (the value is typed).
 */
export function customFieldFilterOptions(fields: CustomField[]): Map<string, { name: string; choices: string[] | null }> {
  const byKey = new Map<string, { name: string; choices: string[] | null }>();
  for (const field of fields) {
    const known = byKey.get(field.key);
    const choices = field.kind === "choice" ? field.choices : null;
    byKey.set(field.key, {
      name: known?.name ?? field.name,
      choices: choices === null || known?.choices === null ? null : [...new Set([...(known?.choices ?? []), ...choices])],
    });
  }
  return byKey;
}

export const METRIC_RANGES = ["1h", "24h", "7d"] as const;
export type MetricRange = (typeof METRIC_RANGES)[number];

export const METRIC_RANGE_SECONDS: Record<MetricRange, number> = { "1h": 3600, "24h": 86_400, "7d": 7 * 86_400 };

export interface AgentPageSearch {
  range?: MetricRange;
}

/** "1h" is the default and stays out of the URL. */
export function parseAgentPageSearch(raw: Record<string, unknown>): AgentPageSearch {
  const range = optionalEnum(raw.range, METRIC_RANGES);
  return range && range !== "1h" ? { range } : {};
}

/** The list's filters and order as a URL query, for a saved view (the page is not part of a view). */
export function agentListQuery(search: AgentListSearch): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(search)) {
    if (key !== "page" && value !== undefined && value !== "") params.set(key, String(value));
  }
  return params.toString();
}

/** A saved view's query back as the list's filters, sanitized like the URL's. */
export function agentListSearchFromQuery(query: string): AgentListSearch {
  const { page: _page, ...search } = parseAgentListSearch(Object.fromEntries(new URLSearchParams(query)));
  return search;
}
