import { Link } from "@tanstack/react-router";
import { ArchiveIcon, Columns3Icon, MonitorIcon, XIcon } from "lucide-react";
import { useMemo, useState, type ReactNode } from "react";
import type { AgentSummary } from "@/api/types";
import { errorMessage } from "@/api/errors";
import type { DataColumn } from "@/components/data-table";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuCheckboxItem,
  DropdownMenuContent,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useCan, useClientScope } from "@/lib/auth";
import {
  AGENTS_PER_PAGE,
  matchingAgentIds,
  useAgentFacets,
  useAgents,
  useAgentStatusCounts,
  useFilterClients,
  useFilterCustomFields,
  useFilterSites,
} from "../api/agents";
import { useDeletedAgentCount } from "../api/deleted-agents";
import { AGENT_COLUMNS, COLUMNS_STORAGE_KEY, loadColumns, REQUIRED_COLUMNS, toggleColumn, type AgentColumnId } from "../agent-columns";
import {
  changeAgentListSearch,
  customFieldFilterOptions,
  hasAgentFilters,
  OS_FAMILIES,
  OS_FAMILY_LABELS,
  type AgentListSearch,
} from "../agent-list-search";
import { AgentBulkBar } from "./agent-bulk-bar";
import { AgentsTable } from "./agents-table";
import { SavedViews } from "./saved-views";

/** "Select all matching" stops here: a bigger action belongs in a filter plus a job. */
const MAX_SELECTION = 5_000;

const ALL = "__all__";

export function AgentsPage({
  search,
  onSearchChange,
  selectionActions,
}: {
  search: AgentListSearch;
  onSearchChange: (next: AgentListSearch) => void;
  /** What another feature offers for the selected agents (running a script on them), by id with their names. */
  selectionActions?: (ids: string[], names: Record<string, string>) => ReactNode;
}) {
  const agents = useAgents(search);
  useDocumentTitle("Agents");
  const change = (partial: Partial<AgentListSearch>) => onSearchChange(changeAgentListSearch(search, partial));
  const filtered = hasAgentFilters(search);
  // A user limited to some clients has no deleted agents or saved views: those operations are not
  // open to them (actions on a selection are, on their own agents).
  const scoped = useClientScope() !== null;
  // Rows can be selected when some action on a selection is allowed.
  const selectionPermissions = [useCan("organize_agents"), useCan("run_commands"), useCan("run_scripts")];
  const maySelect = selectionPermissions.some(Boolean);
  const [columns, setColumns] = useState<AgentColumnId[]>(() => loadColumns(globalThis.localStorage));
  const chooseColumns = (next: AgentColumnId[]) => {
    setColumns(next);
    try {
      globalThis.localStorage?.setItem(COLUMNS_STORAGE_KEY, JSON.stringify(next));
    } catch {
      // A private window may refuse storage; the choice then lasts for this page.
    }
  };
  const [selected, setSelected] = useState<string[]>([]);
  const [selectingAll, setSelectingAll] = useState(false);
  const [selectionProblem, setSelectionProblem] = useState<string | null>(null);
  const rows = useMemo(() => agents.data?.items ?? [], [agents.data]);
  const hostnames = useMemo(() => new Map(rows.map((agent) => [agent.id, agent.alias || agent.hostname])), [rows]);
  const selectAll = async () => {
    setSelectingAll(true);
    setSelectionProblem(null);
    try {
      setSelected(await matchingAgentIds(search, MAX_SELECTION));
    } catch (error) {
      setSelectionProblem(errorMessage(error));
    } finally {
      setSelectingAll(false);
    }
  };
  // A new filter is a new list: what was selected in the old one is not in view any more.
  const changeAndClear = (partial: Partial<AgentListSearch>) => {
    if (Object.keys(partial).some((key) => key !== "page" && key !== "sort" && key !== "order")) setSelected([]);
    change(partial);
  };
  const leading: DataColumn<AgentSummary>[] = maySelect ? [selectionColumn(rows, selected, setSelected)] : [];

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
            <FleetStatus current={search.status} onSelect={(status) => changeAndClear({ status })} />
            {scoped ? null : <DeletedAgentsLink />}
          </>
        }
      />
      <AgentFilters
        search={search}
        onChange={changeAndClear}
        onClear={() => {
          setSelected([]);
          onSearchChange({});
        }}
        extra={
          <>
            {scoped ? null : (
              <SavedViews
                search={search}
                columns={columns}
                onApply={(view) => {
                  setSelected([]);
                  onSearchChange(view.search);
                  if (view.columns) chooseColumns(view.columns);
                }}
              />
            )}
            <ColumnChooser columns={columns} onChange={chooseColumns} />
          </>
        }
      />
      {selected.length > 0 ? (
        <AgentBulkBar
          selected={selected}
          total={Math.min(agents.data?.total ?? 0, MAX_SELECTION)}
          onSelectAll={() => void selectAll()}
          selectingAll={selectingAll}
          onClear={() => setSelected([])}
          hostnames={hostnames}
          extra={selectionActions?.(selected, Object.fromEntries(hostnames))}
        />
      ) : null}
      {selectionProblem ? (
        <p role="alert" className="text-sm text-destructive">
          {selectionProblem}
        </p>
      ) : null}
      <AgentsTable
        query={agents}
        columns={columns}
        leading={leading}
        sort={{
          key: search.sort ?? "hostname",
          order: search.order ?? "asc",
          onSortChange: (key, order) =>
            change({
              sort: key === "hostname" ? undefined : (key as AgentListSearch["sort"]),
              order: order === "desc" ? "desc" : undefined,
            }),
        }}
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

/** The selection boxes: one per row, and one in the header for the whole page. */
function selectionColumn(rows: AgentSummary[], selected: string[], setSelected: (next: string[]) => void): DataColumn<AgentSummary> {
  const onPage = rows.map((agent) => agent.id);
  const allOnPage = onPage.length > 0 && onPage.every((id) => selected.includes(id));
  const someOnPage = onPage.some((id) => selected.includes(id));
  return {
    header: "Select",
    headerClassName: "w-8",
    headerContent: (
      <input
        type="checkbox"
        className="size-4 accent-primary align-middle"
        aria-label="Select every agent on this page"
        data-testid="select-page"
        checked={allOnPage}
        ref={(box) => {
          if (box) box.indeterminate = someOnPage && !allOnPage;
        }}
        onChange={() =>
          setSelected(
            allOnPage ? selected.filter((id) => !onPage.includes(id)) : [...selected, ...onPage.filter((id) => !selected.includes(id))],
          )
        }
      />
    ),
    cell: (agent) => (
      <input
        type="checkbox"
        className="size-4 accent-primary align-middle"
        aria-label={`Select ${agent.alias || agent.hostname}`}
        data-testid="select-agent"
        checked={selected.includes(agent.id)}
        onChange={(event) => setSelected(event.target.checked ? [...selected, agent.id] : selected.filter((id) => id !== agent.id))}
      />
    ),
  };
}

/** Which columns the table shows, kept in this browser. */
function ColumnChooser({ columns, onChange }: { columns: AgentColumnId[]; onChange: (next: AgentColumnId[]) => void }) {
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="outline" size="sm" data-testid="column-chooser">
          <Columns3Icon /> Columns
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        <DropdownMenuLabel>Show columns</DropdownMenuLabel>
        <DropdownMenuSeparator />
        {AGENT_COLUMNS.map((column) => (
          <DropdownMenuCheckboxItem
            key={column.id}
            checked={columns.includes(column.id)}
            disabled={REQUIRED_COLUMNS.includes(column.id)}
            onSelect={(event) => event.preventDefault()}
            onCheckedChange={() => onChange(toggleColumn(columns, column.id))}
            data-testid={`column-${column.id}`}
          >
            {column.label}
          </DropdownMenuCheckboxItem>
        ))}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

/**
 * Fleet-wide online/offline counts, which double as quick status filters. They follow the gateway's
 * live presence (see `useAgentStatusCounts`).
 */
function FleetStatus({ current, onSelect }: { current: string | undefined; onSelect: (status: "online" | "offline" | undefined) => void }) {
  const counts = useAgentStatusCounts();
  const online = { data: counts.data?.online };
  const offline = { data: counts.data?.offline };
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
  extra,
}: {
  search: AgentListSearch;
  onChange: (partial: Partial<AgentListSearch>) => void;
  onClear: () => void;
  /** Saved views and the column chooser, at the end of the row. */
  extra: React.ReactNode;
}) {
  const clients = useFilterClients();
  const sites = useFilterSites(search.client_id);
  const facets = useAgentFacets();
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="agent-filters">
      <SearchInput
        label="Search agents"
        placeholder="Search name, IP, user or serial…"
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
      <Select value={search.os ?? ALL} onValueChange={(value) => onChange({ os: OS_FAMILIES.find((family) => family === value) })}>
        <SelectTrigger aria-label="Filter by OS" className="w-32" data-testid="filter-os">
          <SelectValue placeholder="Any OS" />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ALL}>Any OS</SelectItem>
          {OS_FAMILIES.map((family) => {
            const count = facets.data?.os.find((facet) => facet.value === family)?.agents;
            return (
              <SelectItem key={family} value={family}>
                {OS_FAMILY_LABELS[family]}
                {count !== undefined ? ` (${count})` : ""}
              </SelectItem>
            );
          })}
        </SelectContent>
      </Select>
      <FacetSelect
        label="version"
        testId="filter-version"
        anyLabel="Any version"
        value={search.version}
        values={facets.data?.versions}
        onChange={(version) => onChange({ version })}
      />
      <FacetSelect
        label="tag"
        testId="filter-tag"
        anyLabel="Any tag"
        value={search.tag}
        values={facets.data?.tags}
        onChange={(tag) => onChange({ tag })}
      />
      <CustomFieldFilter search={search} onChange={onChange} />
      {hasAgentFilters(search) ? (
        <Button variant="ghost" size="sm" onClick={onClear}>
          <XIcon /> Clear
        </Button>
      ) : null}
      <div className="ml-auto flex gap-2">{extra}</div>
    </div>
  );
}

/** Filter by a custom field of any scope: pick the field, then type its value (or choose one of its choices). */
function CustomFieldFilter({ search, onChange }: { search: AgentListSearch; onChange: (partial: Partial<AgentListSearch>) => void }) {
  const fields = useFilterCustomFields();
  const byKey = customFieldFilterOptions(fields.data?.items ?? []);
  if (byKey.size === 0 && !search.custom_field) return null;
  const picked = search.custom_field ? byKey.get(search.custom_field) : undefined;
  return (
    <div className="flex items-center gap-1" data-testid="filter-custom-field">
      <Select
        value={search.custom_field ?? ALL}
        onValueChange={(key) => onChange({ custom_field: key === ALL ? undefined : key, custom_value: undefined })}
      >
        <SelectTrigger aria-label="Filter by custom field" className="w-40" data-testid="filter-custom-field-key">
          <SelectValue placeholder="Custom field" />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ALL}>Any custom field</SelectItem>
          {search.custom_field && !picked ? <SelectItem value={search.custom_field}>{search.custom_field}</SelectItem> : null}
          {[...byKey].map(([key, field]) => (
            <SelectItem key={key} value={key}>
              {field.name}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      {search.custom_field && picked?.choices ? (
        <Select value={search.custom_value ?? ""} onValueChange={(value) => onChange({ custom_value: value || undefined })}>
          <SelectTrigger aria-label="Custom field value" className="w-36" data-testid="filter-custom-field-value">
            <SelectValue placeholder="Choose…" />
          </SelectTrigger>
          <SelectContent>
            {picked.choices.map((choice) => (
              <SelectItem key={choice} value={choice}>
                {choice}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      ) : search.custom_field ? (
        <SearchInput
          label="Custom field value"
          placeholder="Value…"
          className="w-36"
          value={search.custom_value ?? ""}
          onChange={(value) => onChange({ custom_value: value.trim() || undefined })}
        />
      ) : null}
    </div>
  );
}

/** A filter whose values come from the organization's agents, each with its count. */
function FacetSelect({
  label,
  testId,
  anyLabel,
  value,
  values,
  onChange,
}: {
  label: string;
  testId: string;
  anyLabel: string;
  value: string | undefined;
  values: { value: string; agents: number }[] | undefined;
  onChange: (value: string | undefined) => void;
}) {
  return (
    <Select value={value ?? ALL} onValueChange={(next) => onChange(next === ALL ? undefined : next)}>
      <SelectTrigger aria-label={`Filter by ${label}`} className="w-36" data-testid={testId}>
        <SelectValue placeholder={anyLabel} />
      </SelectTrigger>
      <SelectContent>
        <SelectItem value={ALL}>{anyLabel}</SelectItem>
        {value && !values?.some((facet) => facet.value === value) ? <SelectItem value={value}>{value}</SelectItem> : null}
        {values?.map((facet) => (
          <SelectItem key={facet.value} value={facet.value}>
            {facet.value} ({facet.agents})
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
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
