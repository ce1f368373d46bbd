//! The agent page's inventory tabs: hardware (with OS, virtualization and domain), software (search
//! and sort), services (state badges), users and groups, and the timeline of inventory changes. Each
//! starts with when the agent collected what is shown and a refresh button.
import { ArrowDownIcon, ArrowUpIcon, PackageIcon, RefreshCwIcon } from "lucide-react";
import { useMemo, useState, type ReactNode } from "react";
import { ApiError } from "@/api/errors";
import type { AgentInventory, InventoryService, SoftwareItem } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { Pagination } from "@/components/pagination";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useCan } from "@/lib/auth";
import { formatBytes, formatDateTime } from "@/lib/format";
import { useAgentInventory, useInventoryEvents, useRefreshInventory } from "../api/inventory";
import { SOFTWARE_SORTS, visibleSoftware, type SoftwareSort } from "../software-list";

/** The inventory tabs the agent page shows, in order. */
export const INVENTORY_TABS = [
  { value: "hardware", label: "Hardware" },
  { value: "software", label: "Software" },
  { value: "services", label: "Services" },
  { value: "accounts", label: "Users and groups" },
  { value: "changes", label: "Changes" },
] as const;
export type InventoryTab = (typeof INVENTORY_TABS)[number]["value"];

const SOFTWARE_PER_PAGE = 100;

/** One inventory tab's content for the agent. */
export function AgentInventoryTab({ tab, agentId, agentOnline }: { tab: InventoryTab; agentId: string; agentOnline: boolean }) {
  // A refresh polls until the agent's new inventory is in (its collection time changes).
  const [refreshedFrom, setRefreshedFrom] = useState<string | null | undefined>(undefined);
  const inventory = useAgentInventory(agentId, refreshedFrom);
  const collectedAt = inventory.data?.collected_at ?? null;
  const refreshing = refreshedFrom !== undefined && collectedAt === refreshedFrom;

  if (inventory.isPending) return <Skeleton className="h-64" />;
  if (inventory.isError) return <ErrorMessage error={inventory.error} onRetry={() => void inventory.refetch()} />;
  const data = inventory.data;
  return (
    <div className="grid gap-4" data-testid={`inventory-tab-${tab}`}>
      <InventoryStatus
        inventory={data}
        agentId={agentId}
        agentOnline={agentOnline}
        refreshing={refreshing}
        onRefreshRequested={() => setRefreshedFrom(collectedAt)}
      />
      {data.collected_at === null && tab !== "changes" ? (
        <EmptyState icon={PackageIcon} title="No inventory yet" data-testid="inventory-empty">
          The agent sends its inventory when it starts and then every day. An agent older than this server does not send one: update it.
        </EmptyState>
      ) : tab === "hardware" ? (
        <HardwareSection inventory={data} />
      ) : tab === "software" ? (
        <SoftwareSection items={data.software} truncated={data.truncated} />
      ) : tab === "services" ? (
        <ServicesSection services={data.services} />
      ) : tab === "accounts" ? (
        <AccountsSection inventory={data} />
      ) : (
        <ChangesSection agentId={agentId} />
      )}
    </div>
  );
}

function InventoryStatus({
  inventory,
  agentId,
  agentOnline,
  refreshing,
  onRefreshRequested,
}: {
  inventory: AgentInventory;
  agentId: string;
  agentOnline: boolean;
  refreshing: boolean;
  onRefreshRequested: () => void;
}) {
  const refresh = useRefreshInventory(agentId);
  const mayRefresh = useCan("organize_agents");
  const offlineRefusal = refresh.error instanceof ApiError && refresh.error.code === "agent_offline";
  return (
    <div className="flex flex-wrap items-center justify-between gap-2 text-sm text-muted-foreground" data-testid="inventory-status">
      <span>
        {inventory.collected_at ? (
          <>
            Collected <RelativeTime value={inventory.collected_at} /> ({inventory.package_count} packages, {inventory.service_count}{" "}
            services)
          </>
        ) : (
          "Not collected yet"
        )}
        {refreshing ? <span data-testid="inventory-refreshing"> · waiting for the agent's new inventory…</span> : null}
      </span>
      {mayRefresh ? (
        <div className="flex items-center gap-2">
          {refresh.isError ? (
            <span className="text-destructive" data-testid="inventory-refresh-error">
              {offlineRefusal ? "The agent is offline." : refresh.error.message}
            </span>
          ) : null}
          <Button
            variant="outline"
            size="sm"
            disabled={!agentOnline || refresh.isPending || refreshing}
            title={agentOnline ? "Ask the agent to collect its inventory now" : "The agent is offline"}
            onClick={() => refresh.mutate(undefined, { onSuccess: onRefreshRequested })}
            data-testid="inventory-refresh"
          >
            <RefreshCwIcon className={refreshing ? "animate-spin" : undefined} /> Refresh
          </Button>
        </div>
      ) : null}
    </div>
  );
}

/** Rows of label and value, leaving out what the agent could not read. */
function Facts({ rows, testId }: { rows: [string, ReactNode][]; testId: string }) {
  const shown = rows.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (shown.length === 0) return <p className="text-sm text-muted-foreground">Not reported on this machine.</p>;
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm" data-testid={testId}>
      {shown.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-muted-foreground">{label}</dt>
          <dd className="min-w-0 break-words">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function FactsCard({ title, rows, testId }: { title: string; rows: [string, ReactNode][]; testId: string }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
      </CardHeader>
      <CardContent>
        <Facts rows={rows} testId={testId} />
      </CardContent>
    </Card>
  );
}

const yesNo = (value: boolean | null | undefined) => (value === null || value === undefined ? null : value ? "Yes" : "No");

const JOIN_STATES: Record<string, string> = {
  none: "Not joined",
  active_directory: "Active Directory",
  azure_ad: "Microsoft Entra ID (Azure AD)",
  hybrid: "Hybrid (Active Directory and Entra ID)",
  other_realm: "Kerberos realm",
};

function HardwareSection({ inventory }: { inventory: AgentInventory }) {
  const hardware = inventory.hardware;
  const os = inventory.os;
  const virtualization = inventory.virtualization;
  const domain = inventory.domain;
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <FactsCard
        title="System"
        testId="inventory-system"
        rows={[
          ["Manufacturer", hardware?.manufacturer],
          ["Model", hardware?.model],
          ["Serial number", hardware?.serial],
          ["Chassis", hardware?.chassis_type],
          ["BIOS", [hardware?.bios_vendor, hardware?.bios_version, hardware?.bios_date].filter(Boolean).join(" · ")],
          ["CPU", hardware?.cpu_model],
          [
            "Cores / threads",
            hardware?.cpu_cores || hardware?.cpu_threads ? `${hardware?.cpu_cores ?? "?"} / ${hardware?.cpu_threads ?? "?"}` : null,
          ],
          ["Memory", hardware?.memory_total_bytes ? formatBytes(hardware.memory_total_bytes) : null],
        ]}
      />
      <FactsCard
        title="Operating system"
        testId="inventory-os"
        rows={[
          ["Name", os?.name],
          ["Version", os?.version],
          ["Build", os?.build],
          ["Kernel", os?.kernel],
          ["Architecture", os?.arch],
          ["Booted", os?.boot_time ? formatDateTime(os.boot_time) : null],
        ]}
      />
      <FactsCard
        title="Virtualization"
        testId="inventory-virtualization"
        rows={[
          ["Virtual machine", virtualization ? yesNo(virtualization.is_vm) : null],
          ["Hypervisor", virtualization?.hypervisor],
          ["VM UUID", virtualization?.vm_uuid],
          ["Container", virtualization ? (virtualization.is_container ? (virtualization.container_kind ?? "Yes") : "No") : null],
          [
            "Hosts guests",
            virtualization?.is_hypervisor ? `Yes (${virtualization.guest_uuids?.length ?? 0})` : virtualization ? "No" : null,
          ],
          ["Unraid", virtualization?.unraid ? "Yes" : null],
        ]}
      />
      <FactsCard
        title="Domain"
        testId="inventory-domain"
        rows={[
          ["Joined", domain ? (JOIN_STATES[domain.join_state] ?? domain.join_state) : null],
          ["Domain", domain?.domain_name],
          ["Domain controller", domain ? yesNo(domain.is_domain_controller) : null],
          ["Joined with", domain?.client],
        ]}
      />
      <HardwareList
        title="Disks"
        testId="inventory-disks"
        headers={["Model", "Size", "Type", "Serial"]}
        rows={(hardware?.disks ?? []).map((disk) => [
          disk.model ?? "—",
          formatBytes(disk.size_bytes),
          disk.kind.toUpperCase(),
          disk.serial ?? "—",
        ])}
      />
      <HardwareList
        title="Network adapters"
        testId="inventory-nics"
        headers={["Name", "MAC address", "Speed"]}
        rows={(hardware?.nics ?? []).map((nic) => [nic.name, nic.mac ?? "—", nic.speed_mbps ? `${nic.speed_mbps} Mbit/s` : "—"])}
      />
      <HardwareList
        title="Memory modules"
        testId="inventory-memory"
        headers={["Size", "Speed", "Manufacturer", "Part number"]}
        rows={(hardware?.memory_modules ?? []).map((module) => [
          formatBytes(module.size_bytes),
          module.speed_mts ? `${module.speed_mts} MT/s` : "—",
          module.manufacturer ?? "—",
          module.part_number ?? "—",
        ])}
        empty="Not readable here (the agent reads memory modules as root or Administrator)."
      />
    </div>
  );
}

function HardwareList({
  title,
  headers,
  rows,
  testId,
  empty = "None reported.",
}: {
  title: string;
  headers: string[];
  rows: string[][];
  testId: string;
  empty?: string;
}) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
      </CardHeader>
      <CardContent>
        {rows.length === 0 ? (
          <p className="text-sm text-muted-foreground">{empty}</p>
        ) : (
          <Table data-testid={testId}>
            <TableHeader>
              <TableRow>
                {headers.map((header) => (
                  <TableHead key={header}>{header}</TableHead>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>
              {rows.map((row, index) => (
                <TableRow key={index}>
                  {row.map((cell, column) => (
                    <TableCell key={column} className="max-w-64 truncate" title={cell}>
                      {cell}
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

const SORT_LABELS: Record<SoftwareSort, string> = {
  name: "Name",
  version: "Version",
  source: "Source",
  install_date: "Installed",
};

function SoftwareSection({ items, truncated }: { items: SoftwareItem[]; truncated: boolean }) {
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<SoftwareSort>("name");
  const [descending, setDescending] = useState(false);
  const [page, setPage] = useState(1);
  const visible = useMemo(() => visibleSoftware(items, { filter, sort, descending }), [items, filter, sort, descending]);
  const pageItems = visible.slice((page - 1) * SOFTWARE_PER_PAGE, page * SOFTWARE_PER_PAGE);
  const sortBy = (next: SoftwareSort) => {
    setDescending(next === sort ? !descending : false);
    setSort(next);
    setPage(1);
  };
  return (
    <Card>
      <CardHeader className="flex flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle>
          {visible.length === items.length ? `${items.length} packages` : `${visible.length} of ${items.length} packages`}
        </CardTitle>
        <SearchInput
          value={filter}
          onChange={(next) => {
            setFilter(next);
            setPage(1);
          }}
          placeholder="Search name or publisher"
          label="Search the packages"
          className="w-64"
        />
      </CardHeader>
      <CardContent className="grid gap-3">
        {truncated ? (
          <p className="text-sm text-warning" data-testid="inventory-truncated">
            This machine has more packages than an inventory holds (20,000): the list is incomplete.
          </p>
        ) : null}
        <Table data-testid="software-table">
          <TableHeader>
            <TableRow>
              {SOFTWARE_SORTS.map((column) => (
                <TableHead key={column}>
                  <button
                    type="button"
                    className="inline-flex items-center gap-1 hover:text-foreground"
                    onClick={() => sortBy(column)}
                    data-testid={`software-sort-${column}`}
                    aria-sort={sort === column ? (descending ? "descending" : "ascending") : undefined}
                  >
                    {SORT_LABELS[column]}
                    {sort === column ? descending ? <ArrowDownIcon className="size-3" /> : <ArrowUpIcon className="size-3" /> : null}
                  </button>
                </TableHead>
              ))}
              <TableHead>Publisher</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {pageItems.map((item) => (
              <TableRow key={`${item.source}/${item.name}/${item.arch ?? ""}/${item.version}`} data-testid="software-row">
                <TableCell className="max-w-72 truncate font-medium" title={item.name}>
                  {item.name}
                  {item.arch ? <span className="ml-1 text-xs text-muted-foreground">{item.arch}</span> : null}
                </TableCell>
                <TableCell className="max-w-48 truncate" title={item.version} data-testid="software-version">
                  {item.version}
                </TableCell>
                <TableCell className="text-muted-foreground">{item.source}</TableCell>
                <TableCell className="text-muted-foreground">{item.install_date ?? "—"}</TableCell>
                <TableCell className="max-w-56 truncate text-muted-foreground" title={item.publisher ?? undefined}>
                  {item.publisher ?? "—"}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        {visible.length === 0 ? <p className="text-sm text-muted-foreground">No package matches.</p> : null}
        {visible.length > SOFTWARE_PER_PAGE ? (
          <Pagination page={page} perPage={SOFTWARE_PER_PAGE} total={visible.length} onPageChange={setPage} />
        ) : null}
      </CardContent>
    </Card>
  );
}

const SERVICE_STATE_BADGES: Record<
  InventoryService["state"],
  { label: string; variant: "success" | "muted" | "info" | "destructive" | "outline" }
> = {
  running: { label: "Running", variant: "success" },
  stopped: { label: "Stopped", variant: "muted" },
  transitioning: { label: "Changing", variant: "info" },
  failed: { label: "Failed", variant: "destructive" },
  unknown: { label: "Unknown", variant: "outline" },
};

const START_MODES: Record<InventoryService["start_mode"], string> = {
  automatic: "Automatic",
  manual: "Manual",
  disabled: "Disabled",
  masked: "Masked",
  unknown: "—",
};

const SERVICE_FILTERS = ["all", "running", "stopped", "failed"] as const;

function ServicesSection({ services }: { services: InventoryService[] }) {
  const [filter, setFilter] = useState("");
  const [state, setState] = useState<(typeof SERVICE_FILTERS)[number]>("all");
  const needle = filter.trim().toLowerCase();
  const visible = services.filter(
    (service) =>
      (state === "all" || service.state === state) &&
      (!needle || service.name.toLowerCase().includes(needle) || (service.description ?? "").toLowerCase().includes(needle)),
  );
  const failed = services.filter((service) => service.state === "failed").length;
  return (
    <Card>
      <CardHeader className="flex flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle>
          {services.length} services{failed > 0 ? <span className="ml-2 text-destructive">· {failed} failed</span> : null}
        </CardTitle>
        <div className="flex flex-wrap items-center gap-2">
          {SERVICE_FILTERS.map((option) => (
            <Button
              key={option}
              size="sm"
              variant={state === option ? "default" : "outline"}
              onClick={() => setState(option)}
              data-testid={`services-filter-${option}`}
            >
              {option === "all" ? "All" : SERVICE_STATE_BADGES[option].label}
            </Button>
          ))}
          <SearchInput value={filter} onChange={setFilter} placeholder="Search services" label="Search the services" className="w-56" />
        </div>
      </CardHeader>
      <CardContent>
        <Table data-testid="services-table">
          <TableHeader>
            <TableRow>
              <TableHead className="w-28">State</TableHead>
              <TableHead>Name</TableHead>
              <TableHead>Description</TableHead>
              <TableHead className="w-28">Starts</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {visible.map((service) => {
              const badge = SERVICE_STATE_BADGES[service.state];
              return (
                <TableRow key={service.name} data-testid="service-row" data-state={service.state}>
                  <TableCell>
                    <Badge variant={badge.variant} title={service.raw_state ?? undefined}>
                      {badge.label}
                    </Badge>
                  </TableCell>
                  <TableCell className="max-w-64 truncate font-medium" title={service.name}>
                    {service.name}
                  </TableCell>
                  <TableCell className="max-w-96 truncate text-muted-foreground" title={service.description ?? undefined}>
                    {service.description ?? "—"}
                  </TableCell>
                  <TableCell className="text-muted-foreground">{START_MODES[service.start_mode]}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
        {visible.length === 0 ? <p className="pt-2 text-sm text-muted-foreground">No service matches.</p> : null}
      </CardContent>
    </Card>
  );
}

function AccountsSection({ inventory }: { inventory: AgentInventory }) {
  const [showSystem, setShowSystem] = useState(false);
  const users = inventory.users.filter((user) => showSystem || !user.is_system);
  const hidden = inventory.users.length - users.length;
  return (
    <div className="grid gap-4">
      <Card>
        <CardHeader className="flex flex-row items-center justify-between gap-2">
          <CardTitle>Local users</CardTitle>
          {inventory.users.some((user) => user.is_system) ? (
            <Button variant="ghost" size="sm" onClick={() => setShowSystem(!showSystem)} data-testid="users-toggle-system">
              {showSystem ? "Hide system accounts" : `Show ${hidden} system accounts`}
            </Button>
          ) : null}
        </CardHeader>
        <CardContent>
          <Table data-testid="users-table">
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>Id</TableHead>
                <TableHead>Status</TableHead>
                <TableHead>Home</TableHead>
                <TableHead>Shell</TableHead>
                <TableHead>Password expires</TableHead>
                <TableHead>Last logon</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {users.map((user) => (
                <TableRow key={user.id + user.name} data-testid="user-row">
                  <TableCell className="font-medium">
                    {user.name}
                    {user.full_name ? <div className="text-xs text-muted-foreground">{user.full_name}</div> : null}
                  </TableCell>
                  <TableCell className="text-muted-foreground">{user.id}</TableCell>
                  <TableCell>
                    <div className="flex flex-wrap gap-1">
                      {user.is_admin ? <Badge variant="warning">Admin</Badge> : null}
                      {user.enabled ? <Badge variant="success">Enabled</Badge> : <Badge variant="muted">Disabled</Badge>}
                      {user.is_system ? <Badge variant="outline">System</Badge> : null}
                    </div>
                  </TableCell>
                  <TableCell className="max-w-48 truncate text-muted-foreground">{user.home ?? "—"}</TableCell>
                  <TableCell className="max-w-40 truncate text-muted-foreground">{user.shell ?? "—"}</TableCell>
                  <TableCell className="text-muted-foreground">
                    {user.password_never_expires === true ? "Never" : user.password_never_expires === false ? "Yes" : "—"}
                  </TableCell>
                  <TableCell className="text-muted-foreground">
                    {user.last_logon ? <RelativeTime value={user.last_logon} /> : "—"}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Local groups</CardTitle>
        </CardHeader>
        <CardContent>
          <Table data-testid="groups-table">
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>Id</TableHead>
                <TableHead>Members</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {inventory.groups
                .filter((group) => group.members.length > 0)
                .map((group) => (
                  <TableRow key={group.id + group.name} data-testid="group-row">
                    <TableCell className="font-medium">{group.name}</TableCell>
                    <TableCell className="text-muted-foreground">{group.id}</TableCell>
                    <TableCell className="max-w-xl truncate" title={group.members.join(", ")}>
                      {group.members.join(", ")}
                    </TableCell>
                  </TableRow>
                ))}
            </TableBody>
          </Table>
          <p className="pt-2 text-xs text-muted-foreground">Groups without members are not listed.</p>
        </CardContent>
      </Card>
    </div>
  );
}

const CHANGE_KINDS: Record<string, string> = {
  software_changed: "Software",
  services_changed: "Services",
};

function ChangesSection({ agentId }: { agentId: string }) {
  const events = useInventoryEvents(agentId);
  if (events.isPending) return <Skeleton className="h-32" />;
  if (events.isError) return <ErrorMessage error={events.error} onRetry={() => void events.refetch()} />;
  const changes = events.data.items.filter((event) => event.kind in CHANGE_KINDS);
  if (changes.length === 0) {
    return (
      <EmptyState icon={PackageIcon} title="No changes recorded yet" data-testid="inventory-changes-empty">
        Installs, removals, upgrades and service state changes appear here from the agent's second inventory on.
      </EmptyState>
    );
  }
  return (
    <ol className="grid gap-3 border-l pl-4" data-testid="inventory-changes">
      {changes.map((event, index) => (
        <li key={`${event.created_at}-${index}`} className="relative" data-testid="inventory-change">
          <span className="absolute -left-[21px] top-1.5 size-2.5 rounded-full bg-primary" aria-hidden />
          <div className="flex items-center gap-2 text-sm">
            <Badge variant="secondary">{CHANGE_KINDS[event.kind]}</Badge>
            <span className="text-muted-foreground">
              {formatDateTime(event.created_at)} (<RelativeTime value={event.created_at} />)
            </span>
          </div>
          <p className="mt-1 text-sm break-words">{event.message}</p>
        </li>
      ))}
    </ol>
  );
}
