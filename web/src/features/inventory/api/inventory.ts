//! An agent's inventory (hardware, OS, software, services, users and groups, virtualization, domain),
//! its refresh, and the fleet's software searched by name and version.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { SoftwareSearchQuery, SoftwareSummaryQuery } from "../software-search";

export const inventoryKeys = {
  all: rootKeys.inventory,
  agent: (agentId: string) => ["inventory", "agent", agentId] as const,
  agentEvents: (agentId: string) => ["inventory", "agent", agentId, "events"] as const,
  search: (query: SoftwareSearchQuery) => ["inventory", "software", query] as const,
  summary: (query: SoftwareSummaryQuery) => ["inventory", "summary", query] as const,
};

/** How often an agent's inventory is read again while a refresh is awaited. */
const REFRESH_POLL_MS = 3_000;

/**
 * The agent's whole inventory. After a refresh was asked while it showed the one collected at
 * `refreshedFrom`, it is polled until that changes.
 */
export function useAgentInventory(agentId: string, refreshedFrom?: string | null) {
  return useQuery({
    queryKey: inventoryKeys.agent(agentId),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/inventory", { params: { path: { id: agentId } } })),
    refetchInterval: (query) =>
      refreshedFrom !== undefined && (query.state.data?.collected_at ?? null) === refreshedFrom ? REFRESH_POLL_MS : false,
  });
}

/** Clients for the software page's client filter. */
export function useFilterClients() {
  return useQuery({
    queryKey: [...inventoryKeys.all, "filter-clients"] as const,
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { page: 1, per_page: 200 } } })),
    staleTime: 60_000,
  });
}

/** The picked client's sites for the software page's site filter. */
export function useFilterSites(clientId: string | undefined) {
  return useQuery({
    queryKey: [...inventoryKeys.all, "filter-sites", clientId] as const,
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId ?? "" }, query: { page: 1, per_page: 200 } } })),
    enabled: clientId !== undefined,
    staleTime: 60_000,
  });
}

/** Asks the agent to collect and send its inventory now (409 `agent_offline` when it is offline). */
export function useRefreshInventory(agentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/agents/{id}/inventory/refresh", { params: { path: { id: agentId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: inventoryKeys.agent(agentId) }),
  });
}

/** The agent's events (inventory changes among them), newest first. */
export function useInventoryEvents(agentId: string) {
  return useQuery({
    queryKey: inventoryKeys.agentEvents(agentId),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/events", { params: { path: { id: agentId } } })),
  });
}

/** One page of the agents having a package. */
export function useSoftwareSearch(query: SoftwareSearchQuery, enabled: boolean) {
  return useQuery({
    queryKey: inventoryKeys.search(query),
    queryFn: () => unwrap(api.GET("/api/v1/software", { params: { query } })),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** One page of package names with their agent and version counts. */
export function useSoftwareSummary(query: SoftwareSummaryQuery) {
  return useQuery({
    queryKey: inventoryKeys.summary(query),
    queryFn: () => unwrap(api.GET("/api/v1/software/summary", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}
