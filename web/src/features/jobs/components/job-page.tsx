import { Link } from "@tanstack/react-router";
import { ChevronLeftIcon, RotateCcwIcon } from "lucide-react";
import type { ReactNode } from "react";
import type { Job, JobAgent, JobDetail } from "@/api/types";
import { errorMessage } from "@/api/errors";
import { CommandOutputDialog } from "@/components/command-output-dialog";
import { RowsTable, type DataColumn } from "@/components/data-table";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCanMutate } from "@/lib/auth";
import { exitCodeClass, formatDateTime, formatRunDuration } from "@/lib/format";
import { cn } from "@/lib/utils";
import { useJob, useRerunFailed } from "../api/jobs";
import { formatJobParameters } from "../job-progress";
import type { JobPageSearch } from "../job-list-search";
import { JobProgressBar } from "./job-progress-bar";
import { JobStatusBadge } from "./job-status-badge";

/**
 * One job: what ran where, live progress, and each agent's result. The commands feature's status
 * badge and terminal are passed in by the route (features do not import each other).
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
  const shown = job.data.agents.find((agent) => agent.command_id === search.command);
  const open = (commandId: string) => onSearchChange({ command: commandId });
  return (
    <div className="grid gap-4" data-testid="job-page" data-job-id={job.data.id} data-status={job.data.status}>
      <JobHeader job={job.data} onRerun={onRerun} />
      <Card>
        <CardHeader>
          <CardTitle>Agents</CardTitle>
          <span className="text-xs text-muted-foreground">Click a row to see that agent's output.</span>
        </CardHeader>
        <CardContent>
          <RowsTable
            columns={jobAgentColumns(renderCommandStatus, open)}
            rows={job.data.agents}
            rowKey={(agent) => agent.command_id}
            rowProps={(agent) => ({
              className: "cursor-pointer",
              onClick: () => open(agent.command_id),
              "data-testid": "job-agent-row",
              "data-hostname": agent.hostname,
              "data-agent-deleted": agent.agent_deleted,
              "data-status": agent.status,
              "data-command-id": agent.command_id,
            })}
            testId="job-agents-table"
          />
        </CardContent>
      </Card>
      <CommandOutputDialog
        commandId={search.command}
        title={`Output${shown?.hostname ? ` on ${shown.hostname}` : ""}`}
        description="Status and output of this job's command on one agent."
        onClose={() => onSearchChange({})}
      >
        {renderCommandOutput}
      </CommandOutputDialog>
    </div>
  );
}

function JobHeader({ job, onRerun }: { job: JobDetail; onRerun: (job: Job) => void }) {
  const mayMutate = useCanMutate();
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
          mayMutate ? (
            <Button
              variant="outline"
              disabled={job.counts.failed === 0 || rerun.isPending}
              title={job.counts.failed === 0 ? "No agent failed." : "Run it again on the agents where it did not succeed, as a new job."}
              onClick={() => rerun.mutate(job.id, { onSuccess: onRerun })}
              data-testid="rerun-failed-button"
            >
              <RotateCcwIcon /> Re-run failed{job.counts.failed > 0 ? ` (${job.counts.failed})` : ""}
            </Button>
          ) : null
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
              {parameters.map((text) => (
                <code key={text} className="rounded bg-muted px-1.5 py-0.5 font-mono break-all">
                  {text}
                </code>
              ))}
            </div>
          ) : null}
        </CardContent>
      </Card>
    </>
  );
}

function jobAgentColumns(renderCommandStatus: (status: string) => ReactNode, open: (commandId: string) => void): DataColumn<JobAgent>[] {
  return [
    { header: "Agent", cell: (agent) => <AgentCell agent={agent} onOpen={() => open(agent.command_id)} /> },
    { header: "Status", headerClassName: "w-32", cell: (agent) => renderCommandStatus(agent.status) },
    {
      header: "Exit",
      headerClassName: "w-16 text-right",
      cellProps: (agent) => ({ className: exitCodeClass(agent.exit_code) }),
      cell: (agent) => agent.exit_code ?? "–",
    },
    {
      header: "Duration",
      headerClassName: "w-24 text-right",
      className: "text-right tabular-nums text-muted-foreground",
      cell: formatRunDuration,
    },
    {
      header: "Started",
      headerClassName: "w-32",
      className: "text-muted-foreground",
      cell: (agent) => (agent.started_at ? <RelativeTime value={agent.started_at} /> : "–"),
    },
    {
      header: "Error",
      className: "max-w-0 w-1/3 truncate text-xs text-destructive",
      cellProps: (agent) => ({ title: agent.error ?? undefined }),
      cell: (agent) => agent.error ?? "",
    },
  ];
}

function AgentCell({ agent, onOpen }: { agent: JobAgent; onOpen: () => void }) {
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
      <button
        type="button"
        className="ml-2 text-xs text-muted-foreground hover:underline focus-visible:underline focus-visible:outline-none"
        onClick={(event) => {
          event.stopPropagation();
          onOpen();
        }}
        data-testid="open-agent-output"
      >
        output
      </button>
    </>
  );
}
