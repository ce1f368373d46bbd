import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import { useLiveConnectionState } from "@/lib/live-events";

export const HISTORY_HOURS = 24;

export const checkKeys = {
  all: rootKeys.checks,
  agent: (agentId: string) => ["checks", "agent", agentId] as const,
  list: (agentId: string) => ["checks", "agent", agentId, "list"] as const,
  histories: (agentId: string) => ["checks", "agent", agentId, "history"] as const,
  history: (agentId: string, name: string, hours: number) => ["checks", "agent", agentId, "history", name, hours] as const,
  effective: (agentId: string) => ["checks", "agent", agentId, "effective"] as const,
};

/** An agent's checks with their latest results; `check_status` events keep them current. */
export function useAgentChecks(agentId: string) {
  const live = useLiveConnectionState() === "open";
  return useQuery({
    queryKey: checkKeys.list(agentId),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/checks", { params: { path: { id: agentId } } })),
    refetchInterval: live ? 60_000 : 10_000,
  });
}

/** A check's state changes over the last `hours`, newest first. */
export function useCheckHistory(agentId: string, name: string, hours = HISTORY_HOURS) {
  return useQuery({
    queryKey: checkKeys.history(agentId, name, hours),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/checks/history", { params: { path: { id: agentId }, query: { name, hours } } })),
    staleTime: 30_000,
  });
}

export function useRunChecks(agentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (names?: string[]) =>
      unwrap(api.POST("/api/v1/agents/{id}/checks/run", { params: { path: { id: agentId } }, body: names ? { names } : {} })),
    // Results arrive as check_status events within seconds; refetch once in case the stream is down.
    onSuccess: () => setTimeout(() => void queryClient.invalidateQueries({ queryKey: checkKeys.list(agentId) }), 5_000),
  });
}

export function useEffectivePolicy(agentId: string) {
  return useQuery({
    queryKey: checkKeys.effective(agentId),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/effective-policy", { params: { path: { id: agentId } } })),
  });
}
