import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";

/** What deleting one does, said in its confirmation. */
export const CLIENT_DELETE_DESCRIPTION =
  "The client and its sites are deleted. A client that still has agents cannot be deleted: first move each agent to another client's site (\"Move to site\" on the agent's page) or delete it.";

export const CLIENTS_PER_PAGE = 50;

export const clientKeys = {
  all: rootKeys.clients,
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
