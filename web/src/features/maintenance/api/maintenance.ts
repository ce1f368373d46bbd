import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { MaintenanceWindowRequest } from "@/api/types";

export const maintenanceKeys = {
  all: rootKeys.maintenance,
  list: ["maintenance", "list"] as const,
  agent: (agentId: string) => ["maintenance", "agent", agentId] as const,
  pickClients: ["maintenance", "pick", "clients"] as const,
  pickSites: (clientId: string | null) => ["maintenance", "pick", "sites", clientId] as const,
  pickAgents: (q: string) => ["maintenance", "pick", "agents", q] as const,
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

export function usePickClients(enabled: boolean) {
  return useQuery({
    queryKey: maintenanceKeys.pickClients,
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { page: 1, per_page: 200 } } })),
    enabled,
  });
}

export function usePickSites(clientId: string | null) {
  return useQuery({
    queryKey: maintenanceKeys.pickSites(clientId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId ?? "" }, query: { page: 1, per_page: 200 } } })),
    enabled: clientId !== null,
  });
}

export function usePickAgents(q: string, enabled: boolean) {
  return useQuery({
    queryKey: maintenanceKeys.pickAgents(q),
    queryFn: () => unwrap(api.GET("/api/v1/agents", { params: { query: { q: q || undefined, page: 1, per_page: 50 } } })),
    placeholderData: keepPreviousData,
    enabled,
  });
}
