import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import { useLiveConnectionState } from "@/lib/live-events";
import type { FleetCheckListQuery } from "../fleet-check-list-search";

export const FLEET_CHECKS_PER_PAGE = 50;

export const fleetCheckKeys = {
  all: rootKeys.fleetChecks,
  lists: ["fleet-checks", "list"] as const,
  list: (query: FleetCheckListQuery) => ["fleet-checks", "list", query] as const,
  filterClients: ["fleet-checks", "filters", "clients"] as const,
  filterSites: (clientId: string | undefined) => ["fleet-checks", "filters", "sites", clientId] as const,
};

/** One page of the fleet's checks. `check_status` events refetch it; the poll heals a dropped stream. */
export function useFleetChecks(query: FleetCheckListQuery) {
  const live = useLiveConnectionState() === "open";
  return useQuery({
    queryKey: fleetCheckKeys.list(query),
    queryFn: () => unwrap(api.GET("/api/v1/checks", { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: live ? 60_000 : 10_000,
  });
}

/** Clients for the client filter. */
export function useFilterClients() {
  return useQuery({
    queryKey: fleetCheckKeys.filterClients,
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { page: 1, per_page: 200 } } })),
    staleTime: 60_000,
  });
}

/** The picked client's sites for the site filter. */
export function useFilterSites(clientId: string | undefined) {
  return useQuery({
    queryKey: fleetCheckKeys.filterSites(clientId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId ?? "" }, query: { page: 1, per_page: 200 } } })),
    enabled: clientId !== undefined,
    staleTime: 60_000,
  });
}
