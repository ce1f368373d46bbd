import { Link } from "@tanstack/react-router";
import { ArchiveIcon, ChevronLeftIcon, XIcon } from "lucide-react";
import type { DeletedAgent } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { Pagination } from "@/components/pagination";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { cn } from "@/lib/utils";
import { DELETED_AGENTS_PER_PAGE, useDeletedAgents } from "../api/deleted-agents";
import { changeDeletedAgentListSearch, type DeletedAgentListSearch } from "../deleted-agent-list-search";

/** Agents that were deleted, newest deletion first; each keeps its command history. */
export function DeletedAgentsPage({
  search,
  onSearchChange,
}: {
  search: DeletedAgentListSearch;
  onSearchChange: (next: DeletedAgentListSearch) => void;
}) {
  const deleted = useDeletedAgents(search);
  useDocumentTitle("Deleted agents");
  const change = (partial: Partial<DeletedAgentListSearch>) => onSearchChange(changeDeletedAgentListSearch(search, partial));
  const filtered = Boolean(search.q);

  return (
    <div className="grid gap-4">
      <PageHeader
        title="Deleted agents"
        description={
          deleted.data
            ? `${deleted.data.total} deleted agent${deleted.data.total === 1 ? "" : "s"}${filtered ? (deleted.data.total === 1 ? " matches the search" : " match the search") : ""}; their command history is kept`
            : "Agents that were deleted; their command history is kept"
        }
      >
        <nav aria-label="Breadcrumb" className="mb-1 text-xs text-muted-foreground">
          <Link to="/agents" className="inline-flex items-center gap-0.5 hover:underline">
            <ChevronLeftIcon className="size-3" aria-hidden /> Agents
          </Link>
        </nav>
      </PageHeader>
      <div className="flex flex-wrap items-center gap-2">
        <SearchInput
          label="Search deleted agents"
          placeholder="Search hostname…"
          value={search.q ?? ""}
          onChange={(q) => change({ q: q || undefined })}
        />
        {filtered ? (
          <Button variant="ghost" size="sm" onClick={() => onSearchChange({})}>
            <XIcon /> Clear
          </Button>
        ) : null}
      </div>
      {deleted.isError ? <ErrorMessage error={deleted.error} onRetry={() => void deleted.refetch()} /> : null}
      {deleted.isPending ? (
        <Skeleton className="h-64" />
      ) : deleted.data && deleted.data.items.length === 0 ? (
        filtered ? (
          <EmptyState
            icon={ArchiveIcon}
            title="No deleted agent matches this search"
            action={
              <Button variant="outline" onClick={() => onSearchChange({})}>
                Clear search
              </Button>
            }
          />
        ) : (
          <EmptyState icon={ArchiveIcon} title="No agent has been deleted" data-testid="deleted-agents-empty">
            When you delete an agent, it is listed here with who deleted it and when, and its command history stays readable.
          </EmptyState>
        )
      ) : deleted.data ? (
        <>
          <Card className="overflow-hidden">
            <DeletedAgentsTable agents={deleted.data.items} dimmed={deleted.isPlaceholderData} />
          </Card>
          <Pagination
            page={search.page ?? 1}
            perPage={deleted.data.per_page || DELETED_AGENTS_PER_PAGE}
            total={deleted.data.total}
            onPageChange={(page) => change({ page })}
          />
        </>
      ) : null}
    </div>
  );
}

function DeletedAgentsTable({ agents, dimmed }: { agents: DeletedAgent[]; dimmed: boolean }) {
  return (
    <Table data-testid="deleted-agents-table" className={cn(dimmed && "opacity-60")}>
      <TableHeader>
        <TableRow>
          <TableHead>Hostname</TableHead>
          <TableHead>Client / site</TableHead>
          <TableHead>OS</TableHead>
          <TableHead>Deleted</TableHead>
          <TableHead>Deleted by</TableHead>
          <TableHead className="text-right">Commands</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {agents.map((agent) => (
          <TableRow key={agent.id} data-testid="deleted-agent-row" data-hostname={agent.hostname} data-agent-id={agent.id}>
            <TableCell className="font-medium">
              <Link
                to="/deleted-agents/$agentId"
                params={{ agentId: agent.id }}
                className="hover:underline"
                data-testid="deleted-agent-link"
              >
                {agent.hostname}
              </Link>
            </TableCell>
            {/* The client and site may be gone too; the tombstone keeps their names, not links. */}
            <TableCell className="text-muted-foreground">
              {agent.client_name} / {agent.site_name}
            </TableCell>
            <TableCell className="max-w-56 truncate">{agent.os_name || "–"}</TableCell>
            <TableCell className="text-muted-foreground">
              <RelativeTime value={agent.deleted_at} />
            </TableCell>
            <TableCell className="max-w-48 truncate text-muted-foreground" title={agent.deleted_by_email}>
              {agent.deleted_by_email}
            </TableCell>
            <TableCell className="text-right tabular-nums" data-testid="deleted-agent-command-count">
              {agent.command_count}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
