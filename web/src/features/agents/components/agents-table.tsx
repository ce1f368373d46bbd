import { Link } from "@tanstack/react-router";
import type { AgentSummary } from "@/api/types";
import { DataTable, type DataColumn, type DataTableProps } from "@/components/data-table";
import { RelativeTime } from "@/components/relative-time";
import { formatBytes, formatDateTime, formatDuration, usagePercent } from "@/lib/format";
import { AGENT_COLUMNS, DEFAULT_COLUMNS, type AgentColumnId } from "../agent-columns";
import { AgentStatusBadge } from "./agent-status-badge";
import { AgentTags } from "./agent-tags";
import { UsageCell } from "./usage-cell";

export function osLabel(agent: Pick<AgentSummary, "os">): string {
  return [agent.os.name, agent.os.version].filter(Boolean).join(" ") || agent.os.family;
}

/** An offline agent's numbers are its last report, not its present: dim them. */
const usageClass = (agent: AgentSummary) => (agent.status === "online" ? "text-right" : "text-right opacity-50");
const lastReported = (agent: AgentSummary) => (agent.status === "online" ? undefined : "Last reported value");
const dash = <span className="text-muted-foreground">–</span>;

/** Each column's cell, by the column's id. */
const CELLS: Record<AgentColumnId, Omit<DataColumn<AgentSummary>, "header" | "sortKey">> = {
  status: { headerClassName: "w-20", cell: (agent) => <AgentStatusBadge status={agent.status} /> },
  name: {
    cell: (agent) => (
      <div className="grid gap-0.5">
        <span className="flex flex-wrap items-baseline gap-x-2">
          <Link to="/agents/$agentId" params={{ agentId: agent.id }} className="font-medium hover:underline" data-testid="agent-link">
            {agent.alias || agent.hostname}
          </Link>
          {agent.alias ? (
            <span className="text-xs text-muted-foreground" data-testid="agent-row-hostname">
              {agent.hostname}
            </span>
          ) : null}
        </span>
        {agent.tags.length > 0 ? <AgentTags tags={agent.tags} /> : null}
      </div>
    ),
  },
  location: {
    className: "text-muted-foreground",
    cell: (agent) => (
      <>
        <Link to="/clients/$clientId" params={{ clientId: agent.client_id }} className="hover:text-foreground hover:underline">
          {agent.client_name}
        </Link>
        {" / "}
        <Link to="/sites/$siteId" params={{ siteId: agent.site_id }} className="hover:text-foreground hover:underline">
          {agent.site_name}
        </Link>
      </>
    ),
  },
  os: {
    className: "max-w-56 truncate",
    cellProps: (agent) => ({ title: agent.os.kernel ? `kernel ${agent.os.kernel}` : undefined }),
    cell: osLabel,
  },
  version: { className: "tabular-nums text-muted-foreground", cell: (agent) => agent.agent_version },
  last_seen: { className: "text-muted-foreground", cell: (agent) => <RelativeTime value={agent.last_seen} /> },
  uptime: {
    className: "tabular-nums",
    cellProps: (agent) => ({
      title: agent.booted_at ? `Last reboot ${formatDateTime(agent.booted_at)}` : undefined,
      className: agent.status === "online" ? undefined : "opacity-50",
    }),
    cell: (agent) =>
      agent.booted_at && agent.status === "online"
        ? formatDuration(Math.max(0, (Date.now() - Date.parse(agent.booted_at)) / 1000))
        : agent.booted_at
          ? `rebooted ${formatDateTime(agent.booted_at)}`
          : dash,
  },
  cpu: {
    headerClassName: "text-right",
    cellProps: (agent) => ({ className: usageClass(agent), title: lastReported(agent) }),
    cell: (agent) => <UsageCell percent={agent.cpu_percent ?? null} />,
  },
  memory: {
    headerClassName: "text-right",
    cellProps: (agent) => ({ className: usageClass(agent) }),
    cell: (agent) => (
      <UsageCell
        percent={usagePercent(agent.memory_used_bytes, agent.memory_total_bytes)}
        title={`${formatBytes(agent.memory_used_bytes)} of ${formatBytes(agent.memory_total_bytes)}`}
      />
    ),
  },
  disk: {
    headerClassName: "text-right",
    cellProps: (agent) => ({ className: usageClass(agent), title: "The fullest volume" }),
    cell: (agent) => <UsageCell percent={agent.disk_used_percent ?? null} />,
  },
  public_ip: { className: "font-mono text-xs", cell: (agent) => agent.public_ip ?? dash },
  local_ip: { className: "font-mono text-xs", cell: (agent) => agent.local_ip ?? dash },
  user: { className: "max-w-40 truncate", cell: (agent) => agent.logged_in_users ?? dash },
  serial: { className: "font-mono text-xs", cell: (agent) => agent.serial_number ?? dash },
  alerts: {
    headerClassName: "text-right",
    className: "text-right tabular-nums",
    cell: (agent) =>
      agent.open_alerts > 0 ? (
        <Link
          to="/agents/$agentId"
          params={{ agentId: agent.id }}
          search={{ tab: "alerts" }}
          className="font-medium text-destructive hover:underline"
          data-testid="agent-open-alerts"
        >
          {agent.open_alerts}
        </Link>
      ) : (
        <span className="text-muted-foreground">0</span>
      ),
  },
  enrolled: { className: "text-muted-foreground", cell: (agent) => <RelativeTime value={agent.enrolled_at} /> },
};

/** The columns to show, in the table's order; `location` only where the list spans places. */
export function agentColumns(shown: readonly AgentColumnId[], showLocation: boolean): DataColumn<AgentSummary>[] {
  return AGENT_COLUMNS.filter((column) => shown.includes(column.id) && (showLocation || column.id !== "location")).map((column) => ({
    header: column.label,
    sortKey: column.sort,
    ...CELLS[column.id],
  }));
}

/** The agents list's table, on the agents page (with chosen columns, sorting and selection) and on a client's or site's page. */
export function AgentsTable({
  showLocation = true,
  columns = DEFAULT_COLUMNS,
  leading = [],
  ...table
}: {
  showLocation?: boolean;
  columns?: readonly AgentColumnId[];
  /** Columns before the chosen ones (the selection boxes). */
  leading?: DataColumn<AgentSummary>[];
} & Omit<DataTableProps<AgentSummary>, "columns" | "rowKey" | "rowProps" | "testId">) {
  return (
    <DataTable
      {...table}
      columns={[...leading, ...agentColumns(columns, showLocation)]}
      rowKey={(agent) => agent.id}
      rowProps={(agent) => ({ "data-testid": "agent-row", "data-hostname": agent.hostname })}
      testId="agents-table"
    />
  );
}
