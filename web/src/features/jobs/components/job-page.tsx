import { Link } from "@tanstack/react-router";
import { ChevronLeftIcon, ChevronRightIcon, DownloadIcon, LockIcon, RotateCcwIcon } from "lucide-react";
import { Fragment, useState, type ReactNode } from "react";
import type { Job, JobAgent, JobDetail } from "@/api/types";
import { errorMessage } from "@/api/errors";
import type { DataColumn } from "@/components/data-table";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { VaultReferenceValue } from "@/components/vault-reference";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { exitCodeClass, formatDateTime, formatRunDuration } from "@/lib/format";
import { cn } from "@/lib/utils";
import { useJob, useRerunFailed } from "../api/jobs";
import { formatJobParameters } from "../job-progress";
import type { JobPageSearch } from "../job-list-search";
import { JobProgressBar } from "./job-progress-bar";
import { JobStatusBadge } from "./job-status-badge";

/**
 * One job: what ran where, live progress, each agent's result with its output inline, and the
 * results as CSV. The commands feature's status badge and terminal are passed in by the route
 * (features do not import each other).
 */
export function JobPage({
  jobId,
  search,
  onSearchChange,
  onRerun,
  renderCommandStatus,
  renderCommandOutput,
}: {
  jobId: string;
  search: JobPageSearch;
  onSearchChange: (next: JobPageSearch) => void;
  onRerun: (job: Job) => void;
  renderCommandStatus: (status: string) => ReactNode;
  renderCommandOutput: (commandId: string) => ReactNode;
}) {
  const job = useJob(jobId);
  useDocumentTitle(job.data?.name ?? "Job");
  if (job.isPending) return <Skeleton className="h-96" />;
  if (job.isError) return <ErrorMessage error={job.error} onRetry={() => void job.refetch()} />;
  return (
    <div className="grid gap-4" data-testid="job-page" data-job-id={job.data.id} data-status={job.data.status}>
      <JobHeader job={job.data} onRerun={onRerun} />
      <Card>
        <CardHeader>
          <CardTitle>Agents</CardTitle>
          <span className="text-xs text-muted-foreground">Click a row to show or hide that agent's output.</span>
        </CardHeader>
        <CardContent>
          <JobAgentsTable
            agents={job.data.agents}
            search={search}
            onSearchChange={onSearchChange}
            renderCommandStatus={renderCommandStatus}
            renderCommandOutput={renderCommandOutput}
          />
        </CardContent>
      </Card>
    </div>
  );
}

/**
 * The job's agents, each row opening that agent's output beneath it (several may be open). The
 * output named in the URL starts open, and so does the only agent of a one-agent job; opening a
 * row puts its command in the URL, so the page can be linked to with that output showing.
 */
function JobAgentsTable({
  agents,
  search,
  onSearchChange,
  renderCommandStatus,
  renderCommandOutput,
}: {
  agents: JobAgent[];
  search: JobPageSearch;
  onSearchChange: (next: JobPageSearch) => void;
  renderCommandStatus: (status: string) => ReactNode;
  renderCommandOutput: (commandId: string) => ReactNode;
}) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => {
    const [only] = agents;
    if (search.command) return new Set([search.command]);
    return agents.length === 1 && only ? new Set([only.command_id]) : new Set();
  });
  const toggle = (commandId: string) => {
    const next = new Set(expanded);
    if (next.has(commandId)) {
      next.delete(commandId);
      if (search.command === commandId) onSearchChange({});
    } else {
      next.add(commandId);
      onSearchChange({ command: commandId });
    }
    setExpanded(next);
  };
  const columns = jobAgentColumns(renderCommandStatus);
  return (
    <Table data-testid="job-agents-table">
      <TableHeader>
        <TableRow>
          <TableHead className="w-8">
            <span className="sr-only">Output</span>
          </TableHead>
          {columns.map((column) => (
            <TableHead key={column.header} className={column.headerClassName}>
              {column.header}
            </TableHead>
          ))}
        </TableRow>
      </TableHeader>
      <TableBody>
        {agents.map((agent) => {
          const open = expanded.has(agent.command_id);
          return (
            <Fragment key={agent.command_id}>
              <TableRow
                className="cursor-pointer"
                onClick={() => toggle(agent.command_id)}
                data-testid="job-agent-row"
                data-hostname={agent.hostname}
                data-agent-deleted={agent.agent_deleted}
                data-status={agent.status}
                data-command-id={agent.command_id}
                data-expanded={open}
              >
                <TableCell>
                  <button
                    type="button"
                    className="flex size-6 items-center justify-center rounded text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring/50 focus-visible:outline-none"
                    aria-expanded={open}
                    aria-label={`${open ? "Hide" : "Show"} the output on ${agent.hostname}`}
                    onClick={(event) => {
                      event.stopPropagation();
                      toggle(agent.command_id);
                    }}
                    data-testid="toggle-agent-output"
                  >
                    <ChevronRightIcon className={cn("size-4 transition-transform", open && "rotate-90")} aria-hidden />
                  </button>
                </TableCell>
                {columns.map((column) => {
                  const props = column.cellProps?.(agent);
                  return (
                    <TableCell key={column.header} {...props} className={cn(column.className, props?.className)}>
                      {column.cell(agent)}
                    </TableCell>
                  );
                })}
              </TableRow>
              {open ? (
                <TableRow className="hover:bg-transparent" data-testid="job-agent-output" data-command-id={agent.command_id}>
                  <TableCell colSpan={columns.length + 1} className="bg-muted/30 p-3 whitespace-normal">
                    {renderCommandOutput(agent.command_id)}
                  </TableCell>
                </TableRow>
              ) : null}
            </Fragment>
          );
        })}
      </TableBody>
    </Table>
  );
}

function JobHeader({ job, onRerun }: { job: JobDetail; onRerun: (job: Job) => void }) {
  const mayMutate = useCan("run_scripts");
  const rerun = useRerunFailed();
  const parameters = formatJobParameters(job.parameters);
  return (
    <>
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            {job.name} <JobStatusBadge job={job} />
          </span>
        }
        description={
          <span className="flex flex-wrap gap-x-3">
            {job.script_id ? (
              <Link
                to="/scripts/$scriptId"
                params={{ scriptId: job.script_id }}
                className="text-primary hover:underline"
                data-testid="job-script-link"
              >
                Script{job.script_version != null ? ` version ${job.script_version}` : ""}
              </Link>
            ) : null}
            <span>on {job.target}</span>
            <span>
              by {job.created_by_email}, <RelativeTime value={job.created_at} />{" "}
              <span className="text-xs">({formatDateTime(job.created_at)})</span>
            </span>
          </span>
        }
        actions={
          <>
            <Button variant="outline" asChild>
              {/* The server writes the file (every agent, whatever its size); the session cookie goes along. */}
              <a
                href={`/api/v1/jobs/${encodeURIComponent(job.id)}/results.csv`}
                download
                title="Every agent's status, exit code, times and output, as a spreadsheet"
                data-testid="export-csv-button"
              >
                <DownloadIcon /> Export CSV
              </a>
            </Button>
            {mayMutate ? (
              <Button
                variant="outline"
                disabled={job.counts.failed === 0 || rerun.isPending}
                title={job.counts.failed === 0 ? "No agent failed." : "Run it again on the agents where it did not succeed, as a new job."}
                onClick={() => rerun.mutate(job.id, { onSuccess: onRerun })}
                data-testid="rerun-failed-button"
              >
                <RotateCcwIcon /> Re-run failed{job.counts.failed > 0 ? ` (${job.counts.failed})` : ""}
              </Button>
            ) : null}
          </>
        }
      >
        <Link to="/jobs" className="mb-1 flex w-fit items-center gap-1 text-xs text-muted-foreground hover:text-foreground">
          <ChevronLeftIcon className="size-3" /> Jobs
        </Link>
      </PageHeader>
      {rerun.isError ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
          {errorMessage(rerun.error)}
        </p>
      ) : null}
      <Card>
        <CardContent className="grid gap-3 pt-3">
          <JobProgressBar counts={job.counts} size="lg" />
          {parameters.length > 0 ? (
            <div className="flex flex-wrap items-center gap-1.5 text-xs" data-testid="job-parameters">
              <span className="text-muted-foreground">Parameters</span>
              {parameters.map((parameter) => (
                <code
                  key={parameter.name}
                  className="rounded bg-muted px-1.5 py-0.5 font-mono break-all"
                  data-testid="job-parameter"
                  data-name={parameter.name}
                >
                  {parameter.name}=
                  {parameter.hidden ? (
                    <span
                      className="inline-flex items-center gap-1 font-sans text-muted-foreground italic"
                      title="A secret parameter's value is not shown on the job; the commands hold it."
                      data-testid="hidden-value"
                    >
                      <LockIcon className="size-3 shrink-0" aria-hidden />
                      hidden
                    </span>
                  ) : parameter.vault ? (
                    <VaultReferenceValue entryName={parameter.value} />
                  ) : (
                    parameter.value
                  )}
                </code>
              ))}
            </div>
          ) : null}
        </CardContent>
      </Card>
    </>
  );
}

function jobAgentColumns(renderCommandStatus: (status: string) => ReactNode): DataColumn<JobAgent>[] {
  return [
    { header: "Agent", cell: (agent) => <AgentCell agent={agent} /> },
    { header: "Status", headerClassName: "w-32", cell: (agent) => renderCommandStatus(agent.status) },
    {
      header: "Exit",
      headerClassName: "w-16 text-right",
      cellProps: (agent) => ({ className: exitCodeClass(agent.exit_code) }),
      cell: (agent) => agent.exit_code ?? "–",
    },
    {
      header: "Duration",
      // A phone shows the agent, its status and exit code, and its output under the row.
      headerClassName: "w-24 text-right hidden sm:table-cell",
      className: "text-right tabular-nums text-muted-foreground hidden sm:table-cell",
      cell: formatRunDuration,
    },
    {
      header: "Started",
      headerClassName: "w-32 hidden sm:table-cell",
      className: "text-muted-foreground hidden sm:table-cell",
      cell: (agent) => (agent.started_at ? <RelativeTime value={agent.started_at} /> : "–"),
    },
    {
      header: "Error",
      className: "max-w-0 min-w-40 w-1/3 truncate text-xs text-destructive",
      cellProps: (agent) => ({ title: agent.error ?? undefined }),
      cell: (agent) => agent.error ?? "",
    },
  ];
}

function AgentCell({ agent }: { agent: JobAgent }) {
  return (
    <>
      {/* A deleted agent has no agent page any more; its tombstone keeps its command history. */}
      <Link
        to={agent.agent_deleted ? "/deleted-agents/$agentId" : "/agents/$agentId"}
        params={{ agentId: agent.agent_id }}
        className={cn("font-medium hover:underline", agent.agent_deleted && "text-muted-foreground")}
        onClick={(event) => event.stopPropagation()}
        data-testid="job-agent-link"
      >
        {agent.hostname}
      </Link>
      {agent.agent_deleted ? (
        <Badge variant="muted" className="ml-2" data-testid="job-agent-deleted-badge">
          deleted
        </Badge>
      ) : null}
    </>
  );
}
