import { Link } from "@tanstack/react-router";
import { ArchiveIcon, ChevronLeftIcon, Trash2Icon } from "lucide-react";
import type { ReactNode } from "react";
import { ApiError } from "@/api/errors";
import type { DeletedAgent } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { formatDateTime } from "@/lib/format";
import { useDeletedAgent } from "../api/deleted-agents";

/**
 * What is left of a deleted agent: who it was, when and by whom it was deleted, and its command
 * history, which the route fills from the commands feature.
 */
export function DeletedAgentPage({ agentId, commandHistory }: { agentId: string; commandHistory?: (agent: DeletedAgent) => ReactNode }) {
  const agent = useDeletedAgent(agentId);
  useDocumentTitle(agent.data ? `${agent.data.hostname} (deleted)` : "Deleted agent");
  if (agent.isPending) return <Skeleton className="h-64" />;
  if (agent.isError) {
    if (agent.error instanceof ApiError && agent.error.status === 404) return <DeletedAgentNotFound />;
    return <ErrorMessage error={agent.error} onRetry={() => void agent.refetch()} />;
  }
  return (
    <div className="grid gap-4" data-testid="deleted-agent-page" data-agent-id={agent.data.id}>
      <DeletedAgentHeader agent={agent.data} />
      {commandHistory?.(agent.data)}
    </div>
  );
}

function DeletedAgentHeader({ agent }: { agent: DeletedAgent }) {
  return (
    <div className="grid gap-3">
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            <span data-testid="deleted-agent-hostname">{agent.hostname}</span>
            <Badge variant="destructive" data-testid="deleted-badge">
              <Trash2Icon aria-hidden /> Deleted
            </Badge>
          </span>
        }
      >
        <nav aria-label="Breadcrumb" className="mb-1 flex gap-1 text-xs text-muted-foreground">
          <Link to="/agents/deleted" className="inline-flex items-center gap-0.5 hover:underline">
            <ChevronLeftIcon className="size-3" aria-hidden /> Deleted agents
          </Link>
          <span>·</span>
          <span data-testid="deleted-agent-location">
            {agent.client_name} / {agent.site_name}
          </span>
        </nav>
      </PageHeader>
      <div
        role="status"
        className="flex items-start gap-2 rounded-md border border-destructive/30 bg-destructive/5 px-3 py-2 text-sm"
        data-testid="deleted-agent-notice"
      >
        <ArchiveIcon className="mt-0.5 size-4 shrink-0 text-destructive" aria-hidden />
        <p>
          This agent was deleted <RelativeTime value={agent.deleted_at} /> ({formatDateTime(agent.deleted_at)}) by{" "}
          <span className="font-medium">{agent.deleted_by_email}</span>. Its command history is kept below; it can no longer connect or run
          anything. To manage this computer again, enroll it again with its site's key.
        </p>
      </div>
      <dl className="flex flex-wrap gap-x-6 gap-y-1 text-xs" data-testid="deleted-agent-facts">
        <Fact label="Client / site">
          {agent.client_name} / {agent.site_name}
        </Fact>
        <Fact label="OS">{agent.os_name || "–"}</Fact>
        <Fact label="Enrolled">{formatDateTime(agent.enrolled_at)}</Fact>
        <Fact label="Commands">{agent.command_count}</Fact>
      </dl>
    </div>
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

function DeletedAgentNotFound() {
  return (
    <EmptyState icon={ArchiveIcon} title="No deleted agent with this id" data-testid="deleted-agent-not-found">
      <p>It may never have existed, belong to another organization, or still be a live agent.</p>
      <p className="mt-2 flex justify-center gap-4">
        <Link to="/agents/deleted" className="font-medium text-primary hover:underline">
          Deleted agents
        </Link>
        <Link to="/agents" className="font-medium text-primary hover:underline">
          Agents
        </Link>
      </p>
    </EmptyState>
  );
}
