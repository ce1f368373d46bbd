import { Link } from "@tanstack/react-router";
import { ArchiveIcon, ChevronLeftIcon, XIcon } from "lucide-react";
import type { DeletedAgent } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { changeListSearch } from "@/lib/search-params";
import { DELETED_AGENTS_PER_PAGE, useDeletedAgents } from "../api/deleted-agents";
import type { DeletedAgentListSearch } from "../deleted-agent-list-search";

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
  const change = (partial: Partial<DeletedAgentListSearch>) => onSearchChange(changeListSearch(search, partial));
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
      <DataTable
        query={deleted}
        columns={DELETED_AGENT_COLUMNS}
        rowKey={(agent) => agent.id}
        rowProps={(agent) => ({ "data-testid": "deleted-agent-row", "data-hostname": agent.hostname, "data-agent-id": agent.id })}
        testId="deleted-agents-table"
        loadingClassName="h-64"
        framed
        dimmed={deleted.isPlaceholderData}
        empty={
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
        }
        pagination={{ page: search.page ?? 1, perPage: DELETED_AGENTS_PER_PAGE, onPageChange: (page) => change({ page }) }}
      />
    </div>
  );
}

const DELETED_AGENT_COLUMNS: DataColumn<DeletedAgent>[] = [
  {
    header: "Hostname",
    className: "font-medium",
    cell: (agent) => (
      <Link to="/deleted-agents/$agentId" params={{ agentId: agent.id }} className="hover:underline" data-testid="deleted-agent-link">
        {agent.hostname}
      </Link>
    ),
  },
  // The client and site may be gone too; the tombstone keeps their names, not links.
  { header: "Client / site", className: "text-muted-foreground", cell: (agent) => `${agent.client_name} / ${agent.site_name}` },
  { header: "OS", className: "max-w-56 truncate", cell: (agent) => agent.os_name || "–" },
  { header: "Deleted", className: "text-muted-foreground", cell: (agent) => <RelativeTime value={agent.deleted_at} /> },
  {
    header: "Deleted by",
    className: "max-w-48 truncate text-muted-foreground",
    cellProps: (agent) => ({ title: agent.deleted_by_email }),
    cell: (agent) => agent.deleted_by_email,
  },
  {
    header: "Commands",
    headerClassName: "text-right",
    className: "text-right tabular-nums",
    cellProps: () => ({ "data-testid": "deleted-agent-command-count" }),
    cell: (agent) => agent.command_count,
  },
];
