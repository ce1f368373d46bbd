//! Tombstones of deleted agents: who they were, when and by whom they were deleted. Their command
//! history stays readable through the commands endpoints under the same agent id.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { DeletedAgentListSearch } from "../deleted-agent-list-search";

export const DELETED_AGENTS_PER_PAGE = 50;

export const deletedAgentKeys = {
  all: rootKeys.deletedAgents,
  list: (search: DeletedAgentListSearch) => ["deleted-agents", "list", search] as const,
  detail: (id: string) => ["deleted-agents", "detail", id] as const,
  count: ["deleted-agents", "count"] as const,
};

export function useDeletedAgents(search: DeletedAgentListSearch) {
  return useQuery({
    queryKey: deletedAgentKeys.list(search),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/deleted-agents", {
          params: { query: { q: search.q, page: search.page ?? 1, per_page: DELETED_AGENTS_PER_PAGE } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useDeletedAgent(id: string) {
  return useQuery({
    queryKey: deletedAgentKeys.detail(id),
    queryFn: () => unwrap(api.GET("/api/v1/deleted-agents/{id}", { params: { path: { id } } })),
  });
}

/** How many agents were deleted (one tiny page, only its total is used). */
export function useDeletedAgentCount() {
  return useQuery({
    queryKey: deletedAgentKeys.count,
    queryFn: async () => (await unwrap(api.GET("/api/v1/deleted-agents", { params: { query: { page: 1, per_page: 1 } } }))).total,
    staleTime: 60_000,
  });
}
