//! The lists a form picks a target from (a client, one of its sites, an agent found by a search),
//! shared by every feature that assigns something to a place: policies, maintenance windows.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";

const pickKeys = {
  clients: ["pick", "clients"] as const,
  sites: (clientId: string | null) => ["pick", "sites", clientId] as const,
  agents: (q: string) => ["pick", "agents", q] as const,
};

export function usePickClients(enabled: boolean) {
  return useQuery({
    queryKey: pickKeys.clients,
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { page: 1, per_page: 200 } } })),
    enabled,
    staleTime: 30_000,
  });
}

export function usePickSites(clientId: string | null) {
  return useQuery({
    queryKey: pickKeys.sites(clientId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId ?? "" }, query: { page: 1, per_page: 200 } } })),
    enabled: clientId !== null,
    staleTime: 30_000,
  });
}

export function usePickAgents(q: string, enabled: boolean) {
  return useQuery({
    queryKey: pickKeys.agents(q),
    queryFn: () => unwrap(api.GET("/api/v1/agents", { params: { query: { q: q || undefined, page: 1, per_page: 50 } } })),
    placeholderData: keepPreviousData,
    enabled,
  });
}
