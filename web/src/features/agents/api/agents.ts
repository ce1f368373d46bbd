import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { AgentBulkRequest, AgentBulkResult, AgentUpdateRequest } from "@/api/types";
import type { AgentListSearch, MetricRange } from "../agent-list-search";
import { METRIC_RANGE_SECONDS } from "../agent-list-search";

export const AGENTS_PER_PAGE = 50;

export const agentKeys = {
  all: rootKeys.agents,
  lists: ["agents", "list"] as const,
  list: (search: AgentListSearch) => ["agents", "list", search] as const,
  details: ["agents", "detail"] as const,
  detail: (id: string) => ["agents", "detail", id] as const,
  metricsOf: (id: string) => ["agents", "metrics", id] as const,
  metrics: (id: string, range: MetricRange) => ["agents", "metrics", id, range] as const,
  events: (id: string) => ["agents", "events", id] as const,
  statusCounts: ["agents", "status-count"] as const,
  statusCount: (status: string) => ["agents", "status-count", status] as const,
  facets: ["agents", "facets"] as const,
  filterClients: ["agents", "filter-options", "clients"] as const,
  filterSites: (clientId: string) => ["agents", "filter-options", "sites", clientId] as const,
  filterCustomFields: ["agents", "filter-options", "custom-fields"] as const,
};

/** The list's filters and order as the API's query (without the page). */
function listQuery(search: AgentListSearch) {
  return {
    q: search.q,
    client_id: search.client_id,
    site_id: search.site_id,
    status: search.status,
    tag: search.tag,
    os: search.os,
    version: search.version,
    // The server wants both or neither; a field picked without a value yet filters nothing.
    ...(search.custom_field && search.custom_value ? { custom_field: search.custom_field, custom_value: search.custom_value } : {}),
    sort: search.sort,
    order: search.order,
  };
}

export function useAgents(search: AgentListSearch) {
  return useQuery({
    queryKey: agentKeys.list(search),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/agents", {
          params: { query: { ...listQuery(search), page: search.page ?? 1, per_page: AGENTS_PER_PAGE } },
        }),
      ),
    placeholderData: keepPreviousData,
    // Live events keep rows current; a slow poll heals anything the stream missed.
    refetchInterval: 60_000,
  });
}

export function useAgent(id: string) {
  return useQuery({
    queryKey: agentKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}", { params: { path: { id } } })),
    refetchInterval: 60_000,
  });
}

export function useAgentMetrics(id: string, range: MetricRange) {
  return useQuery({
    queryKey: agentKeys.metrics(id, range),
    queryFn: () => {
      const to = new Date();
      const from = new Date(to.getTime() - METRIC_RANGE_SECONDS[range] * 1000);
      return unwrap(
        api.GET("/api/v1/agents/{id}/metrics", {
          params: { path: { id }, query: { from: from.toISOString(), to: to.toISOString() } },
        }),
      );
    },
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });
}

export function useDeleteAgent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/agents/{id}", { params: { path: { id } } })),
    onSuccess: (_data, id) => {
      queryClient.removeQueries({ queryKey: agentKeys.detail(id) });
      queryClient.removeQueries({ queryKey: agentKeys.metricsOf(id) });
      queryClient.removeQueries({ queryKey: agentKeys.events(id) });
      // Client and site agent counts, its interrupted commands and the deleted agents change too.
      return queryClient.invalidateQueries();
    },
  });
}

/**
 * Names, describes, tags or moves the agent (`PATCH /api/v1/agents/{id}`). The answer is the agent as
 * it now is; a move also changes client and site counts, checks and the effective policy, so
 * everything is refetched then.
 */
export function useUpdateAgent(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: AgentUpdateRequest) => unwrap(api.PATCH("/api/v1/agents/{id}", { params: { path: { id } }, body })),
    onSuccess: (agent, body) => {
      queryClient.setQueryData(agentKeys.detail(id), agent);
      return body.site_id ? queryClient.invalidateQueries() : queryClient.invalidateQueries({ queryKey: agentKeys.lists });
    },
  });
}

/**
 * Clients for the filter dropdown and the move dialog (first 100 by name; the search box covers the
 * rest), read once `enabled` (the move dialog asks only when it opens).
 */
export function useFilterClients(enabled = true) {
  return useQuery({
    queryKey: agentKeys.filterClients,
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { page: 1, per_page: 100 } } })),
    staleTime: 60_000,
    enabled,
  });
}

/** The custom fields the list can be filtered by (any scope: a site's or client's value reaches its agents). */
export function useFilterCustomFields() {
  return useQuery({
    queryKey: agentKeys.filterCustomFields,
    queryFn: () => unwrap(api.GET("/api/v1/custom-fields")),
    staleTime: 60_000,
  });
}

export function useFilterSites(clientId: string | undefined) {
  return useQuery({
    queryKey: agentKeys.filterSites(clientId ?? ""),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId ?? "" }, query: { page: 1, per_page: 100 } } })),
    enabled: clientId !== undefined,
    staleTime: 60_000,
  });
}

/** The agent's own timeline (identity problems, dropped samples…), newest first. */
export function useAgentEvents(id: string) {
  return useQuery({
    queryKey: agentKeys.events(id),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/events", { params: { path: { id } } })),
    refetchInterval: 60_000,
  });
}

/** How many agents of the whole fleet have this status (one tiny page, only its total is used). */
/**
 * Fleet-wide online and offline counts. They come from the overview, whose online count is the
 * gateway's live presence: the list's `status` filter reads the database, which learns of a
 * disconnect at its next presence flush, so counting with it lagged the live rows.
 */
export function useAgentStatusCounts() {
  return useQuery({
    queryKey: agentKeys.statusCounts,
    queryFn: async () => {
      const overview = await unwrap(api.GET("/api/v1/overview"));
      return { online: overview.agents_online, offline: overview.agents_offline };
    },
    refetchInterval: 60_000,
  });
}

/** The OS families, versions and tags of the organization's agents, for the filter menus. */
export function useAgentFacets() {
  return useQuery({
    queryKey: agentKeys.facets,
    queryFn: () => unwrap(api.GET("/api/v1/agents/facets")),
    staleTime: 30_000,
  });
}

/** Agents per bulk call: the server takes up to 500; smaller calls let the dashboard show progress. */
export const BULK_CHUNK = 100;

/** One bulk call (`POST /api/v1/agents/bulk`); the caller sends a long selection in chunks. */
export async function bulkAgents(body: AgentBulkRequest): Promise<AgentBulkResult> {
  return unwrap(api.POST("/api/v1/agents/bulk", { body }));
}

/**
 * Every agent id matching the list's filters, in the list's order, read a page of 200 at a time (for
 * "select all"), at most `limit`.
 */
export async function matchingAgentIds(search: AgentListSearch, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ids.length < limit; page += 1) {
    const answer = await unwrap(
      api.GET("/api/v1/agents", {
        params: { query: { ...listQuery(search), page, per_page: 200 } },
      }),
    );
    ids.push(...answer.items.map((agent) => agent.id));
    if (answer.items.length < 200 || ids.length >= answer.total) break;
  }
  return ids.slice(0, limit);
}
