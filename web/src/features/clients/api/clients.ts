import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { Client } from "@/api/types";

/** What deleting one does, said in its confirmation. */
export const CLIENT_DELETE_DESCRIPTION =
  "The client and its sites are deleted. A client that still has agents cannot be deleted: first move each agent to another client's site (\"Move to site\" on the agent's page) or delete it.";

export const CLIENTS_PER_PAGE = 50;

/** The most the API answers in one page (`MAX_PER_PAGE`). */
export const CLIENTS_MAX_PER_PAGE = 200;

/** Pages `useAllClients` reads at most: 5,000 clients, far more than a scope may name (1,000). */
const ALL_CLIENTS_MAX_PAGES = 25;

export const clientKeys = {
  all: rootKeys.clients,
  everyOne: ["clients", "every-one"] as const,
  list: (params: { q?: string; page: number }) => ["clients", "list", params] as const,
  detail: (id: string) => ["clients", "detail", id] as const,
};

export function useClients(params: { q?: string; page: number }) {
  return useQuery({
    queryKey: clientKeys.list(params),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients", { params: { query: { q: params.q, page: params.page, per_page: CLIENTS_PER_PAGE } } })),
    placeholderData: keepPreviousData,
  });
}

/**
 * Every client the caller sees (a scoped user's own), read page by page, to name the clients of the
 * header's note. Up to 5,000.
 */
export function useAllClients(enabled = true) {
  return useQuery({
    queryKey: clientKeys.everyOne,
    queryFn: async () => {
      const items: Client[] = [];
      for (let page = 1; page <= ALL_CLIENTS_MAX_PAGES; page++) {
        const answer = await unwrap(api.GET("/api/v1/clients", { params: { query: { page, per_page: CLIENTS_MAX_PER_PAGE } } }));
        items.push(...answer.items);
        if (answer.items.length < CLIENTS_MAX_PER_PAGE || items.length >= answer.total) break;
      }
      return items;
    },
    enabled,
    staleTime: 30_000,
  });
}

export function useClient(id: string) {
  return useQuery({
    queryKey: clientKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/v1/clients/{id}", { params: { path: { id } } })),
  });
}

export function useCreateClient() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/v1/clients", { body: { name } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: clientKeys.all }),
  });
}

export function useRenameClient(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.PATCH("/api/v1/clients/{id}", { params: { path: { id } }, body: { name } })),
    onSuccess: (client) => {
      queryClient.setQueryData(clientKeys.detail(id), client);
      // Sites and agents show the client's name too.
      return queryClient.invalidateQueries();
    },
  });
}

export function useDeleteClient() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/clients/{id}", { params: { path: { id } } })),
    onSuccess: (_data, id) => {
      queryClient.removeQueries({ queryKey: clientKeys.detail(id) });
      return queryClient.invalidateQueries({ queryKey: clientKeys.all });
    },
  });
}
