import { Link } from "@tanstack/react-router";
import { ArchiveIcon, MonitorIcon, XIcon } from "lucide-react";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { AGENTS_PER_PAGE, useAgents, useAgentStatusCount, useFilterClients, useFilterSites } from "../api/agents";
import { useDeletedAgentCount } from "../api/deleted-agents";
import { changeAgentListSearch, hasAgentFilters, type AgentListSearch } from "../agent-list-search";
import { AgentsTable } from "./agents-table";

const ALL = "__all__";

export function AgentsPage({ search, onSearchChange }: { search: AgentListSearch; onSearchChange: (next: AgentListSearch) => void }) {
  const agents = useAgents(search);
  useDocumentTitle("Agents");
  const change = (partial: Partial<AgentListSearch>) => onSearchChange(changeAgentListSearch(search, partial));
  const filtered = hasAgentFilters(search);

  return (
    <div className="grid gap-4">
      <PageHeader
        title="Agents"
        description={
          agents.data
            ? `${agents.data.total} agent${agents.data.total === 1 ? "" : "s"}${filtered ? " match the filters" : ""}`
            : "Every managed computer"
        }
        actions={
          <>
            <FleetStatus current={search.status} onSelect={(status) => change({ status })} />
            <DeletedAgentsLink />
          </>
        }
      />
      <AgentFilters search={search} onChange={change} onClear={() => onSearchChange({})} />
      <AgentsTable
        query={agents}
        loadingClassName="h-64"
        framed
        empty={
          filtered ? (
            <EmptyState
              icon={MonitorIcon}
              title="No agent matches these filters"
              action={
                <Button variant="outline" onClick={() => onSearchChange({})}>
                  Clear filters
                </Button>
              }
            />
          ) : (
            <NoAgentsYet />
          )
        }
        pagination={{ page: search.page ?? 1, perPage: AGENTS_PER_PAGE, onPageChange: (page) => change({ page }) }}
      />
    </div>
  );
}

/** The way to agents that were deleted, whose command history is kept. */
function DeletedAgentsLink() {
  const count = useDeletedAgentCount();
  if (count.data === undefined) return null;
  return (
    <Button variant="ghost" size="sm" asChild>
      <Link to="/agents/deleted" data-testid="deleted-agents-link">
        <ArchiveIcon /> Deleted agents ({count.data})
      </Link>
    </Button>
  );
}

/** Fleet-wide online/offline counts, which double as quick status filters. */
function FleetStatus({ current, onSelect }: { current: string | undefined; onSelect: (status: "online" | "offline" | undefined) => void }) {
  const online = useAgentStatusCount("online");
  const offline = useAgentStatusCount("offline");
  const item = (status: "online" | "offline", count: number | undefined) => (
    <Button
      variant={current === status ? "secondary" : "ghost"}
      size="sm"
      aria-pressed={current === status}
      data-testid={`fleet-${status}`}
      onClick={() => onSelect(current === status ? undefined : status)}
    >
      <span className={status === "online" ? "size-2 rounded-full bg-success" : "size-2 rounded-full bg-muted-foreground/60"} aria-hidden />
      <span className="tabular-nums font-semibold">{count ?? "–"}</span> {status}
    </Button>
  );
  return (
    <div className="flex items-center gap-1" role="group" aria-label="Fleet status">
      {item("online", online.data)}
      {item("offline", offline.data)}
    </div>
  );
}

function AgentFilters({
  search,
  onChange,
  onClear,
}: {
  search: AgentListSearch;
  onChange: (partial: Partial<AgentListSearch>) => void;
  onClear: () => void;
}) {
  const clients = useFilterClients();
  const sites = useFilterSites(search.client_id);
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="agent-filters">
      <SearchInput
        label="Search agents"
        placeholder="Search hostname or name…"
        value={search.q ?? ""}
        onChange={(q) => onChange({ q: q || undefined })}
      />
      <Select value={search.client_id ?? ALL} onValueChange={(value) => onChange({ client_id: value === ALL ? undefined : value })}>
        <SelectTrigger aria-label="Filter by client" className="w-44">
          <SelectValue placeholder="All clients" />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ALL}>All clients</SelectItem>
          {search.client_id && !clients.data?.items.some((client) => client.id === search.client_id) ? (
            <SelectItem value={search.client_id}>Selected client</SelectItem>
          ) : null}
          {clients.data?.items.map((client) => (
            <SelectItem key={client.id} value={client.id}>
              {client.name}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      <Select
        value={search.site_id ?? ALL}
        disabled={!search.client_id && !search.site_id}
        onValueChange={(value) => onChange({ site_id: value === ALL ? undefined : value })}
      >
        <SelectTrigger aria-label="Filter by site" className="w-44" title={search.client_id ? undefined : "Choose a client first"}>
          <SelectValue placeholder="All sites" />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ALL}>All sites</SelectItem>
          {search.site_id && !sites.data?.items.some((site) => site.id === search.site_id) ? (
            <SelectItem value={search.site_id}>Selected site</SelectItem>
          ) : null}
          {sites.data?.items.map((site) => (
            <SelectItem key={site.id} value={site.id}>
              {site.name}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      <Select
        value={search.status ?? ALL}
        onValueChange={(value) => onChange({ status: value === "online" || value === "offline" ? value : undefined })}
      >
        <SelectTrigger aria-label="Filter by status" className="w-32">
          <SelectValue placeholder="Any status" />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ALL}>Any status</SelectItem>
          <SelectItem value="online">Online</SelectItem>
          <SelectItem value="offline">Offline</SelectItem>
        </SelectContent>
      </Select>
      {search.tag ? (
        <Badge variant="secondary" className="gap-1 py-1" data-testid="agent-tag-filter">
          Tag: {search.tag}
          <button type="button" aria-label={`Stop filtering by tag ${search.tag}`} onClick={() => onChange({ tag: undefined })}>
            <XIcon />
          </button>
        </Badge>
      ) : null}
      {hasAgentFilters(search) ? (
        <Button variant="ghost" size="sm" onClick={onClear}>
          <XIcon /> Clear
        </Button>
      ) : null}
    </div>
  );
}

function NoAgentsYet() {
  return (
    <EmptyState icon={MonitorIcon} title="No agents yet: here is how to add one" data-testid="agents-empty">
      <ol className="mt-2 grid list-decimal gap-1 pl-5 text-left">
        <li>
          Open{" "}
          <Link to="/clients" className="font-medium text-primary hover:underline">
            Clients
          </Link>{" "}
          and create a client (one of your customers).
        </li>
        <li>Open the client and create a site (an office or network).</li>
        <li>On the site's page, click "Generate key".</li>
        <li>Run the install command shown there, as root, on the computer to manage. It appears here within seconds.</li>
      </ol>
    </EmptyState>
  );
}
