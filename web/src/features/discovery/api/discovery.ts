//! A site's network discovery: the scan defaults, the site and its agents for the scan form, the
//! scans (started, polled while they run, cancelled) and the devices they found (renamed, typed,
//! noted, deleted).
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { DeviceUpdate, DiscoveryScan, ScanRequest } from "@/api/types";
import { isScanActive } from "../scan-status";

export const discoveryKeys = {
  all: rootKeys.discovery,
  defaults: ["discovery", "defaults"] as const,
  site: (siteId: string) => ["discovery", "site", siteId] as const,
  agents: (siteId: string) => ["discovery", "site", siteId, "agents"] as const,
  agent: (agentId: string) => ["discovery", "agent", agentId] as const,
  scans: (siteId: string) => ["discovery", "site", siteId, "scans"] as const,
  scan: (scanId: string) => ["discovery", "scan", scanId] as const,
  devices: (siteId: string) => ["discovery", "site", siteId, "devices"] as const,
};

/** How often a queued or running scan is read again: its progress bar moves every second. */
export const SCAN_POLL_MS = 1_000;

/** The site's agents the scan form offers: a site has few, so one page of the largest size. */
const SITE_AGENTS_PER_PAGE = 200;

/** The server's scan defaults and limits, and the device types a technician picks from. */
export function useDiscoveryDefaults() {
  return useQuery({
    queryKey: discoveryKeys.defaults,
    queryFn: () => unwrap(api.GET("/api/v1/discovery-defaults")),
    staleTime: Infinity,
  });
}

/** The site, for the page's title and breadcrumb. */
export function useDiscoverySite(siteId: string) {
  return useQuery({
    queryKey: discoveryKeys.site(siteId),
    queryFn: () => unwrap(api.GET("/api/v1/sites/{id}", { params: { path: { id: siteId } } })),
  });
}

/** The site's agents, any of which may run a scan. */
export function useSiteAgents(siteId: string) {
  return useQuery({
    queryKey: discoveryKeys.agents(siteId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/agents", {
          params: { query: { site_id: siteId, sort: "hostname", order: "asc", page: 1, per_page: SITE_AGENTS_PER_PAGE } },
        }),
      ),
  });
}

/** One agent with its network interfaces, whose networks the form suggests scanning. */
export function useScanningAgent(agentId: string | undefined) {
  return useQuery({
    queryKey: discoveryKeys.agent(agentId ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}", { params: { path: { id: agentId ?? "" } } })),
    enabled: agentId !== undefined,
  });
}

/** The site's scans, newest first. */
export function useSiteScans(siteId: string) {
  return useQuery({
    queryKey: discoveryKeys.scans(siteId),
    queryFn: () => unwrap(api.GET("/api/v1/sites/{id}/discovery-scans", { params: { path: { id: siteId } } })),
  });
}

/** What changes when a scan ends: the devices it found or missed, and the history's line for it. */
function refreshAfterScan(queryClient: QueryClient, siteId: string) {
  void queryClient.invalidateQueries({ queryKey: discoveryKeys.devices(siteId) });
  void queryClient.invalidateQueries({ queryKey: discoveryKeys.scans(siteId) });
}

/**
 * One scan, read every second while it is queued or running. The read that sees it end refreshes the
 * site's devices and scan history, so the table shows what it found without a reload.
 */
export function useScan(scan: DiscoveryScan) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: discoveryKeys.scan(scan.id),
    queryFn: async () => {
      const before = queryClient.getQueryData<DiscoveryScan>(discoveryKeys.scan(scan.id)) ?? scan;
      const now = await unwrap(api.GET("/api/v1/discovery-scans/{id}", { params: { path: { id: scan.id } } }));
      if (isScanActive(before) && !isScanActive(now)) refreshAfterScan(queryClient, scan.site_id);
      return now;
    },
    initialData: scan,
    // The list's copy is where the scan starts; while it runs it is read again at once.
    initialDataUpdatedAt: 0,
    refetchInterval: (query) => (query.state.data && isScanActive(query.state.data) ? SCAN_POLL_MS : false),
  });
}

/** Starts a scan (409 while the agent runs another; 422 naming the field the server refuses). */
export function useStartScan(siteId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: ScanRequest) =>
      unwrap(api.POST("/api/v1/sites/{id}/discovery-scans", { params: { path: { id: siteId } }, body: request })),
    onSuccess: (scan) => {
      queryClient.setQueryData(discoveryKeys.scan(scan.id), scan);
      queryClient.setQueryData(discoveryKeys.scans(siteId), (list: { items: DiscoveryScan[] } | undefined) => ({
        items: [scan, ...(list?.items ?? []).filter((item) => item.id !== scan.id)],
      }));
      void queryClient.invalidateQueries({ queryKey: discoveryKeys.scans(siteId) });
    },
  });
}

/** Cancels a queued or running scan (409 when it already ended). */
export function useCancelScan(siteId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (scanId: string) => unwrap(api.POST("/api/v1/discovery-scans/{id}/cancel", { params: { path: { id: scanId } } })),
    onSettled: (_scan, _error, scanId) => {
      void queryClient.invalidateQueries({ queryKey: discoveryKeys.scan(scanId) });
      refreshAfterScan(queryClient, siteId);
    },
  });
}

/** The site's devices, each marked new or missing by the newest completed scan. */
export function useSiteDevices(siteId: string) {
  return useQuery({
    queryKey: discoveryKeys.devices(siteId),
    queryFn: () => unwrap(api.GET("/api/v1/sites/{id}/devices", { params: { path: { id: siteId } } })),
  });
}

/** Names, types or notes a device (`null` clears a name or type). */
export function useUpdateDevice(siteId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ deviceId, update }: { deviceId: string; update: DeviceUpdate }) =>
      unwrap(api.PATCH("/api/v1/devices/{id}", { params: { path: { id: deviceId } }, body: update })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: discoveryKeys.devices(siteId) }),
  });
}

/** Forgets a device; a later scan that sees it again lists it as new. */
export function useDeleteDevice(siteId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deviceId: string) => unwrap(api.DELETE("/api/v1/devices/{id}", { params: { path: { id: deviceId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: discoveryKeys.devices(siteId) }),
  });
}
