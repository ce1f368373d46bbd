import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { SavedViewRequest } from "@/api/types";
import { agentKeys } from "./agents";

const savedViewKeys = {
  agents: [...agentKeys.all, "saved-views"] as const,
};

export function useAgentSavedViews() {
  return useQuery({
    queryKey: savedViewKeys.agents,
    queryFn: () => unwrap(api.GET("/api/v1/saved-views", { params: { query: { list: "agents" } } })),
    staleTime: 60_000,
  });
}

export function useSaveView() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SavedViewRequest) => unwrap(api.POST("/api/v1/saved-views", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: savedViewKeys.agents }),
  });
}

export function useDeleteView() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/saved-views/{id}", { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: savedViewKeys.agents }),
  });
}
