//! A site's network discovery: a scan of the site's network from one of its agents (its progress
//! live while it runs), the devices scans found with what changed at the newest one, and the site's
//! recent scans. Starting and cancelling scans needs `run_commands`; naming, typing and deleting
//! devices needs `organize_agents`; the rest is for anyone who sees the site's agents.
import { Link } from "@tanstack/react-router";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { SectionCard } from "@/components/section-card";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { useDiscoveryDefaults, useDiscoverySite, useSiteDevices, useSiteScans } from "../api/discovery";
import type { DiscoverySearch } from "../discovery-search";
import { isScanActive } from "../scan-status";
import { DeviceTable } from "./device-table";
import { LatestScan } from "./latest-scan";
import { ScanForm } from "./scan-form";
import { ScanHistory } from "./scan-history";

export function DiscoveryPage({
  siteId,
  search,
  onSearchChange,
}: {
  siteId: string;
  search: DiscoverySearch;
  onSearchChange: (next: DiscoverySearch) => void;
}) {
  const site = useDiscoverySite(siteId);
  const defaults = useDiscoveryDefaults();
  const scans = useSiteScans(siteId);
  const devices = useSiteDevices(siteId);
  const mayScan = useCan("run_commands");
  useDocumentTitle(site.data ? `Network discovery · ${site.data.name}` : "Network discovery");

  const latest = scans.data?.items[0];

  return (
    <div className="grid gap-4">
      <PageHeader
        title="Network discovery"
        description={
          <>
            The devices on {site.data ? <span data-testid="discovery-site-name">{site.data.name}</span> : "the site"}&apos;s network, found
            by a scan from one of its agents.
          </>
        }
      >
        {site.data ? (
          <nav aria-label="Breadcrumb" className="mb-1 flex gap-1 text-xs text-muted-foreground">
            <Link to="/clients" className="hover:underline">
              Clients
            </Link>
            <span>/</span>
            <Link to="/clients/$clientId" params={{ clientId: site.data.client_id }} className="hover:underline">
              {site.data.client_name}
            </Link>
            <span>/</span>
            <Link to="/sites/$siteId" params={{ siteId }} className="hover:underline">
              {site.data.name}
            </Link>
          </nav>
        ) : null}
      </PageHeader>
      {site.isError ? <ErrorMessage error={site.error} onRetry={() => void site.refetch()} /> : null}

      <SectionCard
        title="Scan"
        description="Probes each address of the ranges on the ports given. Devices that answer are added or updated; devices in the ranges that do not answer are marked missing."
        contentClassName="grid gap-4"
        data-testid="scan-card"
      >
        {scans.isError ? <ErrorMessage error={scans.error} onRetry={() => void scans.refetch()} /> : null}
        {latest ? <LatestScan key={latest.id} scan={latest} /> : null}
        {mayScan ? (
          defaults.isPending ? (
            <Skeleton className="h-40" />
          ) : defaults.isError ? (
            <ErrorMessage error={defaults.error} onRetry={() => void defaults.refetch()} />
          ) : (
            <ScanForm siteId={siteId} defaults={defaults.data} scanRunning={latest !== undefined && isScanActive(latest)} />
          )
        ) : null}
      </SectionCard>

      <SectionCard title="Devices" data-testid="devices-card">
        {devices.isPending || defaults.isPending ? (
          <Skeleton className="h-40" />
        ) : devices.isError ? (
          <ErrorMessage error={devices.error} onRetry={() => void devices.refetch()} />
        ) : (
          <DeviceTable
            devices={devices.data.items}
            deviceTypes={defaults.data?.device_types ?? []}
            search={search}
            onSearchChange={onSearchChange}
          />
        )}
      </SectionCard>

      <SectionCard title="Recent scans" data-testid="scan-history-card">
        {scans.isPending ? <Skeleton className="h-24" /> : scans.isError ? null : <ScanHistory scans={scans.data.items} />}
      </SectionCard>
    </div>
  );
}
