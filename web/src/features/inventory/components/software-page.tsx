//! The fleet's software: which machines have a package, below or from a version ("openssl below
//! 3.0.7"), within a client or site. Without a package named, the packages across the fleet with how
//! many machines have them, in how many versions; a name leads to its machines. The search is in the
//! URL, so a finding can be shared as a link.
import { Link } from "@tanstack/react-router";
import { PackageSearchIcon, XIcon } from "lucide-react";
import { useState, type FormEvent } from "react";
import type { SoftwareHit, SoftwareSummaryItem } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { FilterSelect } from "@/components/filter-select";
import { PageHeader } from "@/components/page-header";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { changeListSearch } from "@/lib/search-params";
import { useFilterClients, useFilterSites, useSoftwareSearch, useSoftwareSummary } from "../api/inventory";
import { listsAgents, softwareSearchQuery, softwareSummaryQuery, type SoftwareSearch, type VersionComparison } from "../software-search";

const PER_PAGE = 50;
const ANY = "__any__";

const COMPARISON_LABELS: Record<VersionComparison, string> = {
  lt: "Below version",
  gte: "Version or newer",
};

export function SoftwarePage({ search, onSearchChange }: { search: SoftwareSearch; onSearchChange: (next: SoftwareSearch) => void }) {
  useDocumentTitle("Software");
  const change = (partial: Partial<SoftwareSearch>) => onSearchChange(changeListSearch(search, partial));
  const agents = listsAgents(search);
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Software"
        description="What is installed across the fleet: find the machines with a package, or with a version older than a fixed one."
      />
      <PackageForm search={search} onSubmit={(next) => onSearchChange(next)} />
      {agents ? (
        <div className="flex flex-wrap items-center gap-2">
          <Button variant="ghost" size="sm" onClick={() => onSearchChange({})} data-testid="software-back-to-packages">
            <XIcon /> All packages
          </Button>
          <PlaceFilters search={search} change={change} />
        </div>
      ) : null}
      {agents ? (
        <AgentsWithPackage search={search} change={change} />
      ) : (
        <PackageSummary search={search} change={change} onPick={(name) => onSearchChange({ name })} />
      )}
    </div>
  );
}

/** The package, the comparison and the version, applied together (a half-typed version asks nothing). */
function PackageForm({ search, onSubmit }: { search: SoftwareSearch; onSubmit: (next: SoftwareSearch) => void }) {
  const [name, setName] = useState(search.name ?? "");
  const [compare, setCompare] = useState<VersionComparison>(search.compare ?? "lt");
  const [version, setVersion] = useState(search.version ?? "");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    onSubmit(
      trimmed
        ? {
            name: trimmed,
            compare: version.trim() ? compare : undefined,
            version: version.trim() || undefined,
            client_id: search.client_id,
            site_id: search.site_id,
          }
        : {},
    );
  };
  return (
    <form className="flex flex-wrap items-end gap-2" onSubmit={submit} data-testid="software-search-form">
      <label className="grid gap-1 text-sm">
        <span className="text-muted-foreground">Package name</span>
        <Input
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="openssl"
          className="w-56"
          data-testid="software-name"
          maxLength={200}
        />
      </label>
      <FilterSelect
        className="w-44"
        label="Version comparison"
        value={compare}
        onChange={(next) => setCompare(next as VersionComparison)}
        options={(Object.keys(COMPARISON_LABELS) as VersionComparison[]).map((value) => ({ value, label: COMPARISON_LABELS[value] }))}
        testId="software-compare"
      />
      <label className="grid gap-1 text-sm">
        <span className="text-muted-foreground">Version (optional)</span>
        <Input
          value={version}
          onChange={(event) => setVersion(event.target.value)}
          placeholder="3.0.7"
          className="w-36"
          data-testid="software-version-input"
          maxLength={200}
        />
      </label>
      <Button type="submit" data-testid="software-search-submit">
        Find machines
      </Button>
    </form>
  );
}

function PlaceFilters({ search, change }: { search: SoftwareSearch; change: (partial: Partial<SoftwareSearch>) => void }) {
  const clients = useFilterClients();
  const sites = useFilterSites(search.client_id);
  return (
    <>
      <FilterSelect
        className="w-44"
        label="Client"
        value={search.client_id ?? ANY}
        onChange={(clientId) => change({ client_id: clientId === ANY ? undefined : clientId, site_id: undefined })}
        options={[
          { value: ANY, label: "Any client" },
          ...(clients.data?.items ?? []).map((client) => ({ value: client.id, label: client.name })),
        ]}
        testId="software-client-filter"
      />
      <FilterSelect
        className="w-40"
        label="Site"
        value={search.site_id ?? ANY}
        disabled={search.client_id === undefined}
        onChange={(siteId) => change({ site_id: siteId === ANY ? undefined : siteId })}
        options={[{ value: ANY, label: "Any site" }, ...(sites.data?.items ?? []).map((site) => ({ value: site.id, label: site.name }))]}
        testId="software-site-filter"
      />
    </>
  );
}

const HIT_COLUMNS: DataColumn<SoftwareHit>[] = [
  {
    header: "Machine",
    fill: true,
    cell: (hit) => (
      <Link to="/agents/$agentId" params={{ agentId: hit.agent_id }} search={{ tab: "software" }} className="font-medium hover:underline">
        {hit.hostname}
      </Link>
    ),
  },
  { header: "Package", headerClassName: "w-48", className: "max-w-48 truncate", cell: (hit) => hit.name },
  {
    header: "Version",
    headerClassName: "w-48",
    className: "max-w-48 truncate font-mono text-xs",
    cell: (hit) => <span data-testid="software-hit-version">{hit.version}</span>,
  },
  { header: "Source", headerClassName: "w-28", className: "text-muted-foreground", cell: (hit) => hit.source },
  {
    header: "Publisher",
    headerClassName: "w-48",
    className: "max-w-48 truncate text-muted-foreground",
    cell: (hit) => hit.publisher ?? "—",
  },
];

function AgentsWithPackage({ search, change }: { search: SoftwareSearch; change: (partial: Partial<SoftwareSearch>) => void }) {
  const hits = useSoftwareSearch(softwareSearchQuery(search, PER_PAGE), true);
  const bound = search.version ? `${search.compare === "gte" ? "at or above" : "below"} ${search.version}` : "any version";
  return (
    <div className="grid gap-2">
      <p className="text-sm text-muted-foreground" data-testid="software-hits-summary">
        {hits.data
          ? `${hits.data.total} machine${hits.data.total === 1 ? "" : "s"} with ${search.name}, ${bound}`
          : `Machines with ${search.name}, ${bound}`}
      </p>
      <DataTable
        query={hits}
        columns={HIT_COLUMNS}
        rowKey={(hit) => `${hit.agent_id}/${hit.name}/${hit.version}/${hit.source}/${hit.arch ?? ""}`}
        rowProps={(hit) => ({ "data-testid": "software-hit", "data-agent-id": hit.agent_id })}
        testId="software-hits"
        framed
        dimmed={hits.isPlaceholderData}
        empty={
          <EmptyState icon={PackageSearchIcon} title="No machine matches" data-testid="software-hits-empty">
            No machine reported {search.name} {bound}. Names are matched exactly (any case); list the packages to find the right one.
          </EmptyState>
        }
        pagination={{ page: search.page ?? 1, perPage: PER_PAGE, onPageChange: (page) => change({ page }), onlyWhenSeveral: true }}
      />
    </div>
  );
}

function PackageSummary({
  search,
  change,
  onPick,
}: {
  search: SoftwareSearch;
  change: (partial: Partial<SoftwareSearch>) => void;
  onPick: (name: string) => void;
}) {
  // The counts are kept per client and name as inventories change: the whole list is a light read.
  const summary = useSoftwareSummary(softwareSummaryQuery(search, PER_PAGE));
  const columns: DataColumn<SoftwareSummaryItem>[] = [
    {
      header: "Package",
      fill: true,
      cell: (item) => (
        <button type="button" className="font-medium hover:underline" onClick={() => onPick(item.name)} data-testid="software-package-link">
          {item.name}
        </button>
      ),
    },
    { header: "Machines", headerClassName: "w-28", className: "tabular-nums", cell: (item) => item.agents },
    { header: "Versions", headerClassName: "w-28", className: "tabular-nums", cell: (item) => item.versions },
  ];
  return (
    <div className="grid gap-2">
      <SearchInput
        value={search.q ?? ""}
        onChange={(q) => change({ q: q || undefined })}
        placeholder="Filter package names"
        label="Filter package names"
        className="w-72"
      />
      <DataTable
        query={summary}
        columns={columns}
        rowKey={(item) => item.name}
        rowProps={(item) => ({ "data-testid": "software-package", "data-name": item.name })}
        testId="software-packages"
        framed
        dimmed={summary.isPlaceholderData}
        empty={
          <EmptyState
            icon={PackageSearchIcon}
            title={search.q ? "No package matches" : "No inventory yet"}
            data-testid="software-packages-empty"
          >
            {search.q ? null : "Agents send their inventory when they start and then every day."}
          </EmptyState>
        }
        pagination={{ page: search.page ?? 1, perPage: PER_PAGE, onPageChange: (page) => change({ page }), onlyWhenSeveral: true }}
      />
    </div>
  );
}
