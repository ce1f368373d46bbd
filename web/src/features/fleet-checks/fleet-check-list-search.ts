//! The fleet's checks list's URL state (state, client, site, search, page) and the API query it
//! stands for. The state defaults to `problem` (failing or warning): what a technician has to look
//! at. `all` shows passing checks too.
import type { paths } from "@/api/schema";
import { compact, optionalEnum, optionalPage, optionalText, optionalUuid } from "@/lib/search-params";

export const FLEET_CHECK_STATE_FILTERS = ["problem", "failing", "warning", "passing", "all"] as const;
export type FleetCheckStateFilter = (typeof FLEET_CHECK_STATE_FILTERS)[number];
export const DEFAULT_FLEET_CHECK_STATE: FleetCheckStateFilter = "problem";

const NON_DEFAULT_STATES = FLEET_CHECK_STATE_FILTERS.filter(
  (state): state is Exclude<FleetCheckStateFilter, "problem"> => state !== DEFAULT_FLEET_CHECK_STATE,
);

export interface FleetCheckListSearch {
  /** Absent: the default, `problem`. */
  state?: Exclude<FleetCheckStateFilter, "problem">;
  client_id?: string;
  site_id?: string;
  q?: string;
  page?: number;
}

export function parseFleetCheckListSearch(raw: Record<string, unknown>): FleetCheckListSearch {
  return compact({
    // The default state is left out of the URL, like page 1.
    state: optionalEnum(raw.state, NON_DEFAULT_STATES),
    client_id: optionalUuid(raw.client_id),
    site_id: optionalUuid(raw.site_id),
    q: optionalText(raw.q),
    page: optionalPage(raw.page),
  });
}

/** Whether any filter narrows the list beyond the default state. */
export function hasFleetCheckFilters(search: FleetCheckListSearch): boolean {
  return Boolean(search.state || search.client_id || search.site_id || search.q);
}

export type FleetCheckListQuery = NonNullable<paths["/api/v1/checks"]["get"]["parameters"]["query"]>;

/** The `GET /api/v1/checks` query for a list's state. */
export function fleetCheckListQuery(search: FleetCheckListSearch, perPage: number): FleetCheckListQuery {
  const state = search.state ?? DEFAULT_FLEET_CHECK_STATE;
  return compact({
    state: state === "all" ? undefined : state,
    client_id: search.client_id,
    site_id: search.site_id,
    q: search.q,
    page: search.page ?? 1,
    per_page: perPage,
  });
}
