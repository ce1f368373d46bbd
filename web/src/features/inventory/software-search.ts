//! The fleet software page's URL state (a package name or a part of one, a version comparison, a
//! client and site, the page) and the API queries it stands for. With a package named exactly it
//! lists the agents having it; with only a part of a name (or nothing) it lists package names with
//! their counts, each leading to its agents.
import type { paths } from "@/api/schema";
import { compact, optionalEnum, optionalPage, optionalText, optionalUuid } from "@/lib/search-params";

export const VERSION_COMPARISONS = ["lt", "gte"] as const;
export type VersionComparison = (typeof VERSION_COMPARISONS)[number];

export interface SoftwareSearch {
  /** A package's exact name (any case): its agents are listed. */
  name?: string;
  /** A part of a name, when no package is named. */
  q?: string;
  /** `lt`: versions below `version`; `gte`: at or above it. */
  compare?: VersionComparison;
  version?: string;
  client_id?: string;
  site_id?: string;
  page?: number;
}

export function parseSoftwareSearch(raw: Record<string, unknown>): SoftwareSearch {
  return compact({
    name: optionalText(raw.name),
    q: optionalText(raw.q),
    compare: optionalEnum(raw.compare, VERSION_COMPARISONS),
    version: optionalText(raw.version),
    client_id: optionalUuid(raw.client_id),
    site_id: optionalUuid(raw.site_id),
    page: optionalPage(raw.page),
  });
}

export type SoftwareSearchQuery = NonNullable<paths["/api/v1/software"]["get"]["parameters"]["query"]>;
export type SoftwareSummaryQuery = NonNullable<paths["/api/v1/software/summary"]["get"]["parameters"]["query"]>;

/** Whether the page lists one package's agents (a name is given) rather than package names. */
export function listsAgents(search: SoftwareSearch): boolean {
  return search.name !== undefined;
}

/** The `GET /api/v1/software` query: the version bound only with a comparison and a version. */
export function softwareSearchQuery(search: SoftwareSearch, perPage: number): SoftwareSearchQuery {
  const version = search.version?.trim() || undefined;
  const compare = version ? (search.compare ?? "lt") : undefined;
  return compact({
    name: search.name,
    version_lt: compare === "lt" ? version : undefined,
    version_gte: compare === "gte" ? version : undefined,
    client_id: search.client_id,
    site_id: search.site_id,
    page: search.page ?? 1,
    per_page: perPage,
  });
}

/** The `GET /api/v1/software/summary` query. */
export function softwareSummaryQuery(search: SoftwareSearch, perPage: number): SoftwareSummaryQuery {
  return compact({ q: search.q, page: search.page ?? 1, per_page: perPage });
}
