//! The fleet's checks: every check of every agent across clients and sites, failing first, then
//! warning, then passing, the longest in its state first. The state (failing or warning by
//! default), client, site and search are in the URL; each row leads to its agent's Checks tab.
import { Link } from "@tanstack/react-router";
import { ActivityIcon, XIcon } from "lucide-react";
import type { FleetCheck } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { FilterSelect } from "@/components/filter-select";
import { EmptyState } from "@/components/empty-state";
import { CheckStateBadge, SeverityBadge } from "@/components/monitoring-badges";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { changeListSearch } from "@/lib/search-params";
import { FLEET_CHECKS_PER_PAGE, useFilterClients, useFilterSites, useFleetChecks } from "../api/fleet-checks";
import {
  DEFAULT_FLEET_CHECK_STATE,
  FLEET_CHECK_STATE_FILTERS,
  fleetCheckListQuery,
  hasFleetCheckFilters,
  type FleetCheckListSearch,
  type FleetCheckStateFilter,
} from "../fleet-check-list-search";

const ANY = "__any__";

export const FLEET_CHECK_STATE_FILTER_LABELS: Record<FleetCheckStateFilter, string> = {
  problem: "Failing or warning",
  failing: "Failing",
  warning: "Warning",
  passing: "Passing",
  all: "Any state",
};

export function FleetChecksPage({
  search,
  onSearchChange,
}: {
  search: FleetCheckListSearch;
  onSearchChange: (next: FleetCheckListSearch) => void;
}) {
  useDocumentTitle("Checks");
  const checks = useFleetChecks(fleetCheckListQuery(search, FLEET_CHECKS_PER_PAGE));
  const change = (partial: Partial<FleetCheckListSearch>) => onSearchChange(changeListSearch(search, partial));
  const filtered = hasFleetCheckFilters(search);

  return (
    <div className="grid gap-4">
      <PageHeader title="Checks" description="Every agent's checks, worst first: what is failing across the fleet, and for how long." />
      <FleetCheckFilters search={search} change={change} />
      {filtered ? (
        <div>
          <Button variant="ghost" size="sm" onClick={() => onSearchChange({})} data-testid="clear-fleet-check-filters">
            <XIcon /> Clear filters
          </Button>
        </div>
      ) : null}
      <DataTable
        query={checks}
        columns={COLUMNS}
        rowKey={(check) => `${check.agent_id}/${check.name}`}
        rowProps={(check) => ({
          "data-testid": "fleet-check-row",
          "data-agent-id": check.agent_id,
          "data-check-name": check.name,
          "data-state": check.state,
        })}
        testId="fleet-checks-table"
        framed
        dimmed={checks.isPlaceholderData}
        empty={
          filtered ? (
            <EmptyState icon={ActivityIcon} title="No check matches these filters" data-testid="fleet-checks-empty" />
          ) : (
            <EmptyState icon={ActivityIcon} title="No check is failing or warning" data-testid="fleet-checks-empty">
              Every check that has reported is passing. Checks come from the policies assigned to agents, sites and clients.
            </EmptyState>
          )
        }
        pagination={{
          page: search.page ?? 1,
          perPage: FLEET_CHECKS_PER_PAGE,
          onPageChange: (page) => change({ page }),
          onlyWhenSeveral: true,
        }}
      />
    </div>
  );
}

/** The agent's Checks tab, where the check's history and full output are. */
function AgentChecksLink({ check, className, children }: { check: FleetCheck; className?: string; children: string }) {
  return (
    <Link to="/agents/$agentId" params={{ agentId: check.agent_id }} search={{ tab: "checks" }} className={className} title={children}>
      {children}
    </Link>
  );
}

const problem = (check: FleetCheck) => check.state === "failing" || check.state === "warning";

const COLUMNS: DataColumn<FleetCheck>[] = [
  { header: "State", headerClassName: "w-28", cell: (check) => <CheckStateBadge state={check.state} /> },
  {
    header: "Check",
    fill: true,
    cell: (check) => (
      <>
        <div className="flex min-w-0 items-center gap-2">
          <AgentChecksLink check={check} className="truncate font-medium hover:underline">
            {check.name}
          </AgentChecksLink>
          {check.type ? (
            <span className="text-xs text-muted-foreground" data-testid="fleet-check-type">
              {check.type}
            </span>
          ) : (
            <Badge variant="muted" title="The agent's policy no longer has this check; its last state is kept.">
              Not in policy
            </Badge>
          )}
          {check.severity && problem(check) ? <SeverityBadge severity={check.severity} /> : null}
        </div>
        <div className="truncate text-xs text-muted-foreground" title={check.output}>
          {check.output}
        </div>
      </>
    ),
  },
  {
    header: "Agent",
    headerClassName: "w-40",
    className: "max-w-40 truncate",
    cell: (check) => (
      <AgentChecksLink check={check} className="hover:underline">
        {check.agent_alias || check.agent_hostname}
      </AgentChecksLink>
    ),
  },
  {
    header: "Client",
    headerClassName: "w-36",
    className: "max-w-36 truncate text-muted-foreground",
    cell: (check) => (
      <Link to="/clients/$clientId" params={{ clientId: check.client_id }} className="hover:underline">
        {check.client_name}
      </Link>
    ),
  },
  {
    header: "Site",
    headerClassName: "w-32",
    className: "max-w-32 truncate text-muted-foreground",
    cell: (check) => (
      <Link to="/sites/$siteId" params={{ siteId: check.site_id }} className="hover:underline">
        {check.site_name}
      </Link>
    ),
  },
  {
    header: "In this state since",
    headerClassName: "w-36",
    className: "text-xs text-muted-foreground",
    cell: (check) => (
      <>
        <RelativeTime value={check.since} />
        {problem(check) ? <div title="Runs in a row in this state">{check.consecutive} in a row</div> : null}
      </>
    ),
  },
  {
    header: "Last checked",
    headerClassName: "w-28",
    className: "text-muted-foreground",
    cell: (check) => <RelativeTime value={check.last_checked_at} />,
  },
];

function FleetCheckFilters({ search, change }: { search: FleetCheckListSearch; change: (partial: Partial<FleetCheckListSearch>) => void }) {
  const clients = useFilterClients();
  const sites = useFilterSites(search.client_id);
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="fleet-check-filters">
      <FilterSelect
        className="w-44"
        label="State"
        value={search.state ?? DEFAULT_FLEET_CHECK_STATE}
        onChange={(state) => change({ state: state === DEFAULT_FLEET_CHECK_STATE ? undefined : (state as FleetCheckListSearch["state"]) })}
        options={FLEET_CHECK_STATE_FILTERS.map((state) => ({ value: state, label: FLEET_CHECK_STATE_FILTER_LABELS[state] }))}
        testId="fleet-check-state-filter"
      />
      <FilterSelect
        className="w-44"
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
        testId="fleet-check-client-filter"
      />
      <FilterSelect
        className="w-44"
        label="Site"
        value={search.site_id ?? ANY}
        disabled={!search.client_id}
        onChange={(siteId) => change({ site_id: siteId === ANY ? undefined : siteId })}
        options={[
          { value: ANY, label: search.client_id ? "Any site" : "Pick a client for sites" },
          ...(sites.data?.items ?? []).map((site) => ({ value: site.id, label: site.name })),
          ...(search.site_id && !sites.data?.items.some((site) => site.id === search.site_id)
            ? [{ value: search.site_id, label: "Selected site" }]
            : []),
        ]}
        testId="fleet-check-site-filter"
      />
      <SearchInput
        label="Search checks"
        placeholder="Search checks, agents…"
        value={search.q ?? ""}
        onChange={(q) => change({ q: q || undefined })}
        className="w-64"
      />
    </div>
  );
}
