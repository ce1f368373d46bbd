import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { Alert, BulkAlertAction } from "@/api/types";
import { useLiveConnectionState } from "@/lib/live-events";
import type { AlertListQuery } from "../alert-list-search";

export const ALERTS_PER_PAGE = 50;

export const alertKeys = {
  all: rootKeys.alerts,
  lists: ["alerts", "list"] as const,
  list: (query: AlertListQuery) => ["alerts", "list", query] as const,
  detail: (id: string) => ["alerts", "detail", id] as const,
  unresolvedCount: ["alerts", "unresolved-count"] as const,
  filterClients: ["alerts", "filters", "clients"] as const,
  filterSites: (clientId: string | undefined) => ["alerts", "filters", "sites", clientId] as const,
};

/** Refetch rarely while the live stream tells us of every change; poll when it is down. */
function useLivePoll(): number {
  return useLiveConnectionState() === "open" ? 60_000 : 10_000;
}

export function useAlerts(query: AlertListQuery) {
  const refetchInterval = useLivePoll();
  return useQuery({
    queryKey: alertKeys.list(query),
    queryFn: () => unwrap(api.GET("/api/v1/alerts", { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval,
  });
}

export function useAlert(id: string | undefined) {
  return useQuery({
    queryKey: alertKeys.detail(id ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/alerts/{id}", { params: { path: { id: id ?? "" } } })),
    enabled: id !== undefined,
  });
}

/** How many alerts are open or acknowledged, for the navigation's badge. */
export function useUnresolvedAlertCount() {
  const refetchInterval = useLivePoll();
  return useQuery({
    queryKey: alertKeys.unresolvedCount,
    queryFn: () => unwrap(api.GET("/api/v1/alerts", { params: { query: { status: "unresolved", page: 1, per_page: 1 } } })),
    select: (page) => page.total,
    refetchInterval,
  });
}

/** The alert changed: put the new version in its detail and refetch every list and count. */
function useAlertChanged() {
  const queryClient = useQueryClient();
  return (alerts: Alert[]) => {
    for (const alert of alerts) queryClient.setQueryData(alertKeys.detail(alert.id), alert);
    void queryClient.invalidateQueries({ queryKey: alertKeys.lists });
    void queryClient.invalidateQueries({ queryKey: alertKeys.unresolvedCount });
    // The overview counts unresolved alerts.
    void queryClient.invalidateQueries({ queryKey: rootKeys.overview });
  };
}

export function useAcknowledgeAlert() {
  const changed = useAlertChanged();
  return useMutation({
    mutationFn: ({ id, note }: { id: string; note: string }) =>
      unwrap(api.POST("/api/v1/alerts/{id}/acknowledge", { params: { path: { id } }, body: { note: note.trim() || null } })),
    onSuccess: (alert) => changed([alert]),
  });
}

export function useSnoozeAlert() {
  const changed = useAlertChanged();
  return useMutation({
    mutationFn: ({ id, until }: { id: string; until: string }) =>
      unwrap(api.POST("/api/v1/alerts/{id}/snooze", { params: { path: { id } }, body: { until } })),
    onSuccess: (alert) => changed([alert]),
  });
}

export function useResolveAlert() {
  const changed = useAlertChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/alerts/{id}/resolve", { params: { path: { id } } })),
    onSuccess: (alert) => changed([alert]),
  });
}

export function useBulkAlerts() {
  const changed = useAlertChanged();
  return useMutation({
    mutationFn: ({ ids, action, note }: { ids: string[]; action: BulkAlertAction; note?: string }) =>
      unwrap(api.POST("/api/v1/alerts/bulk", { body: { ids, action, note: note?.trim() || null } })),
    onSuccess: (result) => changed(result.changed),
  });
}

/** Clients for the client filter. */
export function useFilterClients() {
  return useQuery({
    queryKey: alertKeys.filterClients,
    queryFn: () => unwrap(api.GET("/api/v1/clients", { params: { query: { page: 1, per_page: 200 } } })),
    staleTime: 60_000,
  });
}

/** The picked client's sites for the site filter. */
export function useFilterSites(clientId: string | undefined) {
  return useQuery({
    queryKey: alertKeys.filterSites(clientId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/clients/{id}/sites", { params: { path: { id: clientId ?? "" }, query: { page: 1, per_page: 200 } } })),
    enabled: clientId !== undefined,
    staleTime: 60_000,
  });
}
