import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { MaintenanceWindowRequest } from "@/api/types";

export const maintenanceKeys = {
  all: rootKeys.maintenance,
  list: ["maintenance", "list"] as const,
  agent: (agentId: string) => ["maintenance", "agent", agentId] as const,
};

/** Every window of the organization, with whether it is active now (refetched each minute, as windows start and end). */
export function useMaintenanceWindows() {
  return useQuery({
    queryKey: maintenanceKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/maintenance-windows")),
    refetchInterval: 60_000,
  });
}

/** The windows active on an agent now (its own, its site's and its client's). */
export function useAgentMaintenance(agentId: string) {
  return useQuery({
    queryKey: maintenanceKeys.agent(agentId),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/maintenance", { params: { path: { id: agentId } } })),
    refetchInterval: 60_000,
  });
}

function useMaintenanceChanged() {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: maintenanceKeys.all });
}

export function useCreateMaintenanceWindow() {
  const changed = useMaintenanceChanged();
  return useMutation({
    mutationFn: (body: MaintenanceWindowRequest) => unwrap(api.POST("/api/v1/maintenance-windows", { body })),
    onSuccess: changed,
  });
}

export function useDeleteMaintenanceWindow() {
  const changed = useMaintenanceChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/maintenance-windows/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}
