//! The lists a form picks a target from (a client, one of its sites, an agent found by a search),
//! shared by every feature that assigns something to a place: policies, maintenance windows; and the
//! clients a user's access names (the access field's search, and every client's name by id), shared
//! by the users page and single sign-on's access rules.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./errors";

const pickKeys = {
  clients: ["pick", "clients"] as const,
  sites: (clientId: string | null) => ["pick", "sites", clientId] as const,
  agents: (q: string) => ["pick", "agents", q] as const,
  /** The clients the access field lists for a search. */
  clientSearch: (q: string) => ["pick", "client-search", q] as const,
  /** Every client's name by id, to name the clients of an access. */
  clientNames: ["pick", "client-names"] as const,
};

/** The most the API answers in one page (`MAX_PER_PAGE`). */
const CLIENTS_PER_PAGE = 200;

/** Pages `useClientNames` reads at most: 5,000 clients. */
const CLIENT_PAGES = 25;

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

/** The organization's clients by id (id → name), read page by page, to name the clients of an access. */
export function useClientNames(enabled = true) {
  return useQuery({
    queryKey: pickKeys.clientNames,
    queryFn: async () => {
      const names = new Map<string, string>();
      for (let page = 1; page <= CLIENT_PAGES; page++) {
        const answer = await unwrap(api.GET("/api/v1/clients", { params: { query: { page, per_page: CLIENTS_PER_PAGE } } }));
        for (const client of answer.items) names.set(client.id, client.name);
        if (answer.items.length < CLIENTS_PER_PAGE || names.size >= answer.total) break;
      }
      return names;
    },
    enabled,
    staleTime: 30_000,
  });
}

/** The clients whose name holds `q` (the first 200 by name; all of them without `q`): the access field's list. */
export function usePickClientSearch(q: string) {
  return useQuery({
    queryKey: pickKeys.clientSearch(q),
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { q: q || undefined, page: 1, per_page: CLIENTS_PER_PAGE } } })),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}
