import { Link } from "@tanstack/react-router";
import type { AgentSummary } from "@/api/types";
import { RelativeTime } from "@/components/relative-time";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatBytes, usagePercent } from "@/lib/format";
import { AgentStatusBadge } from "./agent-status-badge";
import { UsageCell } from "./usage-cell";

export function osLabel(agent: Pick<AgentSummary, "os">): string {
  return [agent.os.name, agent.os.version].filter(Boolean).join(" ") || agent.os.family;
}

export function AgentsTable({ agents, showLocation = true }: { agents: AgentSummary[]; showLocation?: boolean }) {
  return (
    <Table data-testid="agents-table">
      <TableHeader>
        <TableRow>
          <TableHead className="w-20">Status</TableHead>
          <TableHead>Hostname</TableHead>
          {showLocation ? <TableHead>Client / site</TableHead> : null}
          <TableHead>OS</TableHead>
          <TableHead>Last seen</TableHead>
          <TableHead className="text-right">CPU</TableHead>
          <TableHead className="text-right">Memory</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {agents.map((agent) => (
          <TableRow key={agent.id} data-testid="agent-row" data-hostname={agent.hostname}>
            <TableCell>
              <AgentStatusBadge status={agent.status} />
            </TableCell>
            <TableCell className="font-medium">
              <Link to="/agents/$agentId" params={{ agentId: agent.id }} className="hover:underline" data-testid="agent-link">
                {agent.hostname}
              </Link>
            </TableCell>
            {showLocation ? (
              <TableCell className="text-muted-foreground">
                <Link to="/clients/$clientId" params={{ clientId: agent.client_id }} className="hover:text-foreground hover:underline">
                  {agent.client_name}
                </Link>
                {" / "}
                <Link to="/sites/$siteId" params={{ siteId: agent.site_id }} className="hover:text-foreground hover:underline">
                  {agent.site_name}
                </Link>
              </TableCell>
            ) : null}
            <TableCell className="max-w-56 truncate" title={agent.os.kernel ? `kernel ${agent.os.kernel}` : undefined}>
              {osLabel(agent)}
            </TableCell>
            <TableCell className="text-muted-foreground">
              <RelativeTime value={agent.last_seen} />
            </TableCell>
            {/* An offline agent's numbers are its last report, not its present: dim them. */}
            <TableCell
              className={agent.status === "online" ? "text-right" : "text-right opacity-50"}
              title={agent.status === "online" ? undefined : "Last reported value"}
            >
              <UsageCell percent={agent.cpu_percent ?? null} />
            </TableCell>
            <TableCell className={agent.status === "online" ? "text-right" : "text-right opacity-50"}>
              <UsageCell
                percent={usagePercent(agent.memory_used_bytes, agent.memory_total_bytes)}
                title={`${formatBytes(agent.memory_used_bytes)} of ${formatBytes(agent.memory_total_bytes)}`}
              />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
