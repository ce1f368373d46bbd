//! The alerts page: filters (status, severity, kind, client, site, search) kept in the URL, the
//! alerts table with bulk actions, and the open alert's details.
import { BellIcon, XIcon } from "lucide-react";
import type { AlertKind, Severity } from "@/api/types";
import { FilterSelect } from "@/components/filter-select";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { ALERT_KIND_LABELS, ALERT_KINDS, SEVERITIES, SEVERITY_LABELS } from "@/lib/monitoring";
import { changeListSearch } from "@/lib/search-params";
import { ALERTS_PER_PAGE, useAlerts, useFilterClients, useFilterSites } from "../api/alerts";
import {
  ALERT_STATUS_FILTERS,
  alertListQuery,
  DEFAULT_ALERT_STATUS,
  hasAlertFilters,
  type AlertListSearch,
  type AlertStatusFilter,
} from "../alert-list-search";
import { AlertDetailDialog } from "./alert-detail-dialog";
import { AlertsTable } from "./alerts-table";

const ANY = "__any__";

export const ALERT_STATUS_FILTER_LABELS: Record<AlertStatusFilter, string> = {
  unresolved: "Unresolved",
  open: "Open",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
  all: "Any status",
};

export function AlertsPage({ search, onSearchChange }: { search: AlertListSearch; onSearchChange: (next: AlertListSearch) => void }) {
  useDocumentTitle("Alerts");
  const { alert: openAlert, ...listSearch } = search;
  const alerts = useAlerts(alertListQuery(listSearch, ALERTS_PER_PAGE));
  const change = (partial: Partial<AlertListSearch>) => onSearchChange(changeListSearch(search, partial, { keepsPage: ["alert"] }));
  const filtered = hasAlertFilters(search);

  return (
    <div className="grid gap-4">
      <PageHeader title="Alerts" description="Problems the checks and the offline watch found, until they resolve." />
      <AlertFilters search={search} change={change} />
      {filtered ? (
        <div>
          <Button variant="ghost" size="sm" onClick={() => onSearchChange({})} data-testid="clear-alert-filters">
            <XIcon /> Clear filters
          </Button>
        </div>
      ) : null}
      <AlertsTable
        query={alerts}
        page={search.page ?? 1}
        onPageChange={(page) => change({ page })}
        onOpen={(alert) => change({ alert })}
        dimmed={alerts.isPlaceholderData}
        empty={
          filtered ? (
            <EmptyState icon={BellIcon} title="No alert matches these filters" data-testid="alerts-empty" />
          ) : (
            <EmptyState icon={BellIcon} title="No unresolved alert" data-testid="alerts-empty">
              Everything is passing. Alerts open when a check fails as often as its policy says, or when an agent stays offline.
            </EmptyState>
          )
        }
      />
      <AlertDetailDialog alertId={openAlert} onClose={() => change({ alert: undefined })} />
    </div>
  );
}

function AlertFilters({ search, change }: { search: AlertListSearch; change: (partial: Partial<AlertListSearch>) => void }) {
  const clients = useFilterClients();
  const sites = useFilterSites(search.client_id);
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="alert-filters">
      <FilterSelect
        label="Status"
        value={search.status ?? DEFAULT_ALERT_STATUS}
        onChange={(status) => change({ status: status === DEFAULT_ALERT_STATUS ? undefined : (status as AlertListSearch["status"]) })}
        options={ALERT_STATUS_FILTERS.map((status) => ({ value: status, label: ALERT_STATUS_FILTER_LABELS[status] }))}
        testId="alert-status-filter"
      />
      <FilterSelect
        label="Severity"
        value={search.severity ?? ANY}
        onChange={(severity) => change({ severity: severity === ANY ? undefined : (severity as Severity) })}
        options={[
          { value: ANY, label: "Any severity" },
          ...SEVERITIES.map((severity) => ({ value: severity, label: SEVERITY_LABELS[severity] })),
        ]}
        testId="alert-severity-filter"
      />
      <FilterSelect
        label="Kind"
        value={search.kind ?? ANY}
        onChange={(kind) => change({ kind: kind === ANY ? undefined : (kind as AlertKind) })}
        options={[{ value: ANY, label: "Any kind" }, ...ALERT_KINDS.map((kind) => ({ value: kind, label: ALERT_KIND_LABELS[kind] }))]}
        testId="alert-kind-filter"
      />
      <FilterSelect
        label="Client"
        value={search.client_id ?? ANY}
        onChange={(clientId) => change({ client_id: clientId === ANY ? undefined : clientId, site_id: undefined })}
        options={[
          { value: ANY, label: "Any client" },
          ...(clients.data?.items ?? []).map((client) => ({ value: client.id, label: client.name })),
          // A client named by a link before the list loads (or beyond its first 200) still shows as picked.
          ...(search.client_id && !clients.data?.items.some((client) => client.id === search.client_id)
            ? [{ value: search.client_id, label: "Selected client" }]
            : []),
        ]}
        testId="alert-client-filter"
      />
      <FilterSelect
        label="Site"
        value={search.site_id ?? ANY}
        disabled={!search.client_id}
        onChange={(siteId) => change({ site_id: siteId === ANY ? undefined : siteId })}
        options={[
          { value: ANY, label: search.client_id ? "Any site" : "Pick a client for sites" },
          ...(sites.data?.items ?? []).map((site) => ({ value: site.id, label: site.name })),
        ]}
        testId="alert-site-filter"
      />
      <SearchInput
        label="Search alerts"
        placeholder="Search titles, agents…"
        value={search.q ?? ""}
        onChange={(q) => change({ q: q || undefined })}
        className="w-64"
      />
    </div>
  );
}
