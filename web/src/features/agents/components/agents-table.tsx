import { Link } from "@tanstack/react-router";
import type { AgentSummary } from "@/api/types";
import { DataTable, type DataColumn, type DataTableProps } from "@/components/data-table";
import { RelativeTime } from "@/components/relative-time";
import { formatBytes, usagePercent } from "@/lib/format";
import { AgentStatusBadge } from "./agent-status-badge";
import { AgentTags } from "./agent-tags";
import { UsageCell } from "./usage-cell";

export function osLabel(agent: Pick<AgentSummary, "os">): string {
  return [agent.os.name, agent.os.version].filter(Boolean).join(" ") || agent.os.family;
}

/** An offline agent's numbers are its last report, not its present: dim them. */
const usageClass = (agent: AgentSummary) => (agent.status === "online" ? "text-right" : "text-right opacity-50");

function agentColumns(showLocation: boolean): DataColumn<AgentSummary>[] {
  return [
    { header: "Status", headerClassName: "w-20", cell: (agent) => <AgentStatusBadge status={agent.status} /> },
    {
      header: "Name",
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
    ...(showLocation
      ? [
          {
            header: "Client / site",
            className: "text-muted-foreground",
            cell: (agent: AgentSummary) => (
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
        ]
      : []),
    {
      header: "OS",
      className: "max-w-56 truncate",
      cellProps: (agent) => ({ title: agent.os.kernel ? `kernel ${agent.os.kernel}` : undefined }),
      cell: osLabel,
    },
    { header: "Last seen", className: "text-muted-foreground", cell: (agent) => <RelativeTime value={agent.last_seen} /> },
    {
      header: "CPU",
      headerClassName: "text-right",
      cellProps: (agent) => ({ className: usageClass(agent), title: agent.status === "online" ? undefined : "Last reported value" }),
      cell: (agent) => <UsageCell percent={agent.cpu_percent ?? null} />,
    },
    {
      header: "Memory",
      headerClassName: "text-right",
      cellProps: (agent) => ({ className: usageClass(agent) }),
      cell: (agent) => (
        <UsageCell
          percent={usagePercent(agent.memory_used_bytes, agent.memory_total_bytes)}
          title={`${formatBytes(agent.memory_used_bytes)} of ${formatBytes(agent.memory_total_bytes)}`}
        />
      ),
    },
  ];
}

/** The agents list's table, on the agents page and on a client's or site's page. */
export function AgentsTable({
  showLocation = true,
  ...table
}: { showLocation?: boolean } & Omit<DataTableProps<AgentSummary>, "columns" | "rowKey" | "rowProps" | "testId">) {
  return (
    <DataTable
      {...table}
      columns={agentColumns(showLocation)}
      rowKey={(agent) => agent.id}
      rowProps={(agent) => ({ "data-testid": "agent-row", "data-hostname": agent.hostname })}
      testId="agents-table"
    />
  );
}
