import { Link } from "@tanstack/react-router";
import { MonitorXIcon, Trash2Icon } from "lucide-react";
import type { ReactNode } from "react";
import { ApiError } from "@/api/errors";
import type { AgentDetail } from "@/api/types";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { useCan, useClientScope } from "@/lib/auth";
import { formatBytes, formatDuration, formatPercent, usagePercent } from "@/lib/format";
import { useAgent, useDeleteAgent } from "../api/agents";
import type { MetricRange } from "../agent-list-search";
import { CollectorNotes, DisksCard, InterfacesCard, ProcessesCard, SensorsCard, UsersCard } from "./agent-sample-sections";
import { AgentDetailsCard } from "./agent-details-card";
import { AgentEventsCard } from "./agent-events-card";
import { AgentStatusBadge } from "./agent-status-badge";
import { osLabel } from "./agents-table";
import { MetricCharts } from "./metric-charts";

/** A tab other features add to the agent page (checks, alerts, policy), composed by the route. */
export interface AgentPageTab {
  value: string;
  label: ReactNode;
  content: ReactNode;
}

export const AGENT_OVERVIEW_TAB = "overview";

export function AgentPage({
  agentId,
  range,
  onRangeChange,
  onDeleted,
  commandPanel,
  commandHistory,
  tab = AGENT_OVERVIEW_TAB,
  onTabChange,
  extraTabs,
  banner,
  headerActions,
  details,
}: {
  agentId: string;
  range: MetricRange;
  onRangeChange: (range: MetricRange) => void;
  /** Called once the agent is deleted, with its id, which now names its tombstone. */
  onDeleted: (agentId: string) => void;
  /** Slots the route fills from other features (running commands), given the loaded agent. */
  commandPanel?: (agent: AgentDetail) => ReactNode;
  commandHistory?: (agent: AgentDetail) => ReactNode;
  /** The open tab; the overview (telemetry and commands) unless another is named. */
  tab?: string;
  onTabChange?: (tab: string) => void;
  extraTabs?: (agent: AgentDetail) => AgentPageTab[];
  /** A notice under the header from another feature (maintenance). */
  banner?: (agent: AgentDetail) => ReactNode;
  /** Buttons another feature adds to the header (running a script on the agent). */
  headerActions?: (agent: AgentDetail) => ReactNode;
  /** Cards another feature adds under the agent's details (custom fields). */
  details?: (agent: AgentDetail) => ReactNode;
}) {
  const agent = useAgent(agentId);
  useDocumentTitle(agent.data?.alias || agent.data?.hostname);
  if (agent.isPending) return <Skeleton className="h-96" />;
  if (agent.isError) {
    if (agent.error instanceof ApiError && agent.error.status === 404) return <AgentNotFound agentId={agentId} />;
    return <ErrorMessage error={agent.error} onRetry={() => void agent.refetch()} />;
  }
  const sample = agent.data.latest_sample;

  const tabs = extraTabs?.(agent.data) ?? [];
  const overview = (
    <div className="grid gap-4">
      <AgentDetailsCard agent={agent.data} />
      {details?.(agent.data)}
      <CurrentNumbers agent={agent.data} />
      {sample ? <CollectorNotes errors={sample.errors ?? []} /> : null}
      {commandPanel?.(agent.data)}
      <MetricCharts agentId={agentId} range={range} onRangeChange={onRangeChange} since={agent.data.enrolled_at} />
      {sample ? (
        <>
          <div className="grid gap-3 lg:grid-cols-2">
            <ProcessesCard title="Top processes by CPU" processes={sample.top_cpu ?? []} testId="top-cpu-table" sortBy="cpu" />
            <ProcessesCard title="Top processes by memory" processes={sample.top_memory ?? []} testId="top-memory-table" sortBy="memory" />
          </div>
          <div className="grid gap-3 lg:grid-cols-3">
            <DisksCard sample={sample} />
            <UsersCard sample={sample} />
            <SensorsCard sample={sample} />
          </div>
        </>
      ) : (
        <p className="rounded-md border border-dashed px-3 py-4 text-sm text-muted-foreground" data-testid="no-sample">
          This agent has not reported telemetry yet.
        </p>
      )}
      {commandHistory?.(agent.data)}
      <InterfacesCard agent={agent.data} />
      <AgentEventsCard agentId={agentId} />
    </div>
  );

  return (
    <div className="grid gap-4">
      <AgentHeader agent={agent.data} onDeleted={onDeleted} actions={headerActions?.(agent.data)} />
      {banner?.(agent.data)}
      {tabs.length === 0 ? (
        overview
      ) : (
        <Tabs value={tabs.some((other) => other.value === tab) ? tab : AGENT_OVERVIEW_TAB} onValueChange={onTabChange}>
          <TabsList aria-label="Agent sections">
            <TabsTrigger value={AGENT_OVERVIEW_TAB} data-testid={`agent-tab-${AGENT_OVERVIEW_TAB}`}>
              Overview
            </TabsTrigger>
            {tabs.map((other) => (
              <TabsTrigger key={other.value} value={other.value} data-testid={`agent-tab-${other.value}`}>
                {other.label}
              </TabsTrigger>
            ))}
          </TabsList>
          <TabsContent value={AGENT_OVERVIEW_TAB}>{overview}</TabsContent>
          {tabs.map((other) => (
            <TabsContent key={other.value} value={other.value}>
              {other.content}
            </TabsContent>
          ))}
        </Tabs>
      )}
    </div>
  );
}

function AgentHeader({ agent, onDeleted, actions }: { agent: AgentDetail; onDeleted: (agentId: string) => void; actions?: ReactNode }) {
  const mayMutate = useCan("manage_agents");
  const deleteAgent = useDeleteAgent();
  return (
    <div className="grid gap-2">
      <PageHeader
        title={
          <span className="flex flex-wrap items-baseline gap-x-2">
            {agent.alias ? <span data-testid="agent-title-alias">{agent.alias}</span> : null}
            <span data-testid="agent-hostname" className={agent.alias ? "text-base font-normal text-muted-foreground" : undefined}>
              {agent.hostname}
            </span>
            <AgentStatusBadge status={agent.status} />
          </span>
        }
        actions={
          <>
            {actions}
            {mayMutate ? (
              <ConfirmDialog
                trigger={
                  <Button variant="outline">
                    <Trash2Icon /> Delete agent
                  </Button>
                }
                title={`Delete ${agent.hostname}?`}
                description="The agent can no longer connect or run anything; its queued and running commands are interrupted, and its metrics and events are deleted. Its command history is kept and stays readable under Deleted agents. To manage this computer again, enroll it again with the site's key."
                confirmLabel="Delete agent"
                onConfirm={async () => {
                  await deleteAgent.mutateAsync(agent.id);
                  onDeleted(agent.id);
                }}
              />
            ) : null}
          </>
        }
      >
        <nav aria-label="Breadcrumb" className="mb-1 flex gap-1 text-xs text-muted-foreground">
          <Link to="/clients/$clientId" params={{ clientId: agent.client_id }} className="hover:underline">
            {agent.client_name}
          </Link>
          <span>/</span>
          <Link to="/sites/$siteId" params={{ siteId: agent.site_id }} className="hover:underline">
            {agent.site_name}
          </Link>
        </nav>
      </PageHeader>
      <dl className="flex flex-wrap gap-x-6 gap-y-1 text-xs" data-testid="agent-facts">
        <Fact label="OS">{osLabel(agent)}</Fact>
        {agent.os.kernel ? <Fact label="Kernel">{agent.os.kernel}</Fact> : null}
        <Fact label="Arch">{agent.arch}</Fact>
        {agent.serial_number ? <Fact label="Serial">{agent.serial_number}</Fact> : null}
        <Fact label="Agent">{agent.agent_version}</Fact>
        <Fact label="Public IP">{agent.public_ip ?? "–"}</Fact>
        <Fact label="Last seen">
          <RelativeTime value={agent.last_seen} />
        </Fact>
        <Fact label="Enrolled">
          <RelativeTime value={agent.enrolled_at} />
        </Fact>
      </dl>
    </div>
  );
}

/** A bookmark to an agent that was deleted since lands here: point to where its history went. */
function AgentNotFound({ agentId }: { agentId: string }) {
  // Deleted agents are not open to a user limited to some clients.
  const scoped = useClientScope() !== null;
  return (
    <EmptyState icon={MonitorXIcon} title="This agent does not exist" data-testid="agent-not-found">
      <p>
        {scoped
          ? "It may have been deleted, or it belongs to a client you do not have access to."
          : "It may have been deleted; a deleted agent's command history is kept."}
      </p>
      <p className="mt-2 flex justify-center gap-4">
        {scoped ? null : (
          <Link to="/deleted-agents/$agentId" params={{ agentId }} className="font-medium text-primary hover:underline">
            Look for it among deleted agents
          </Link>
        )}
        <Link to="/agents" className="font-medium text-primary hover:underline">
          Agents
        </Link>
      </p>
    </EmptyState>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex gap-1.5">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="font-medium">{children}</dd>
    </div>
  );
}

function CurrentNumbers({ agent }: { agent: AgentDetail }) {
  const sample = agent.latest_sample;
  const memoryPercent = usagePercent(agent.memory_used_bytes, agent.memory_total_bytes);
  const swapPercent = usagePercent(sample?.swap_used_bytes, sample?.swap_total_bytes);
  const offline = agent.status !== "online";
  return (
    <div className="grid gap-1">
      {sample ? (
        <p className="text-xs text-muted-foreground" data-testid="latest-sample-time">
          {offline ? "Last report before the agent went offline: " : "Latest sample: "}
          <RelativeTime value={sample.collected_at} />
        </p>
      ) : null}
      <div className={offline ? "grid grid-cols-2 gap-3 opacity-60 md:grid-cols-4" : "grid grid-cols-2 gap-3 md:grid-cols-4"}>
        <Stat label="CPU" value={formatPercent(agent.cpu_percent)} testId="stat-cpu" />
        <Stat
          label="Memory"
          value={formatPercent(memoryPercent, 0)}
          detail={`${formatBytes(agent.memory_used_bytes)} of ${formatBytes(agent.memory_total_bytes)}`}
          testId="stat-memory"
        />
        <Stat
          label="Swap"
          value={sample?.swap_total_bytes === 0 ? "none" : formatPercent(swapPercent, 0)}
          detail={
            sample && sample.swap_total_bytes !== 0
              ? `${formatBytes(sample.swap_used_bytes)} of ${formatBytes(sample.swap_total_bytes)}`
              : undefined
          }
          testId="stat-swap"
        />
        <Stat label="Uptime" value={formatDuration(sample?.uptime_seconds)} testId="stat-uptime" />
      </div>
    </div>
  );
}

function Stat({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <Card data-testid={testId}>
      <CardContent className="pt-3">
        <div className="text-xs text-muted-foreground">{label}</div>
        <div className="text-xl font-semibold tabular-nums">{value}</div>
        {detail ? <div className="text-xs text-muted-foreground tabular-nums">{detail}</div> : null}
      </CardContent>
    </Card>
  );
}
