//! An agent's Checks tab: every check its effective policy gives it, with its state, last output
//! (expandable), last run, how long it has been in its state, the policy it comes from and a strip
//! of its states over the last 24 hours; "Run checks now" asks the agent for fresh results.
import { ActivityIcon, ChevronDownIcon, ChevronRightIcon, PlayIcon } from "lucide-react";
import { Fragment, useState } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import type { AgentCheck } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { CheckStateBadge, SeverityBadge } from "@/components/monitoring-badges";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { useNow } from "@/hooks/use-now";
import { useCan } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { CHECK_STATE_LABELS } from "@/lib/monitoring";
import { cn } from "@/lib/utils";
import { HISTORY_HOURS, useAgentChecks, useCheckHistory, useRunChecks } from "../api/checks";
import { historySegments, runChecksBlocker, stateDuration, type StripState } from "../check-history";

export function AgentChecksTab({ agentId, agentOnline }: { agentId: string; agentOnline: boolean }) {
  const checks = useAgentChecks(agentId);
  const mayMutate = useCan("manage_alerts");
  const run = useRunChecks(agentId);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const now = useNow(30_000);
  const items = checks.data?.items ?? [];
  const blocker = runChecksBlocker(agentOnline, items.length);
  const toggle = (name: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  return (
    <div className="grid gap-3" data-testid="agent-checks">
      <div className="flex flex-wrap items-center gap-2">
        <p className="text-sm text-muted-foreground">
          {items.length > 0 ? `${items.length} check${items.length === 1 ? "" : "s"} from the policies assigned to this agent.` : null}
        </p>
        {mayMutate ? (
          <Tooltip>
            <TooltipTrigger asChild>
              {/* A disabled button gets no hover events: the span carries the tooltip. */}
              <span className="ml-auto" tabIndex={blocker ? 0 : -1}>
                <Button
                  size="sm"
                  variant="outline"
                  disabled={blocker !== null || run.isPending}
                  data-testid="run-checks-now"
                  onClick={() =>
                    run.mutate(undefined, {
                      onSuccess: () => toast.success("Asked the agent to run its checks; results arrive within seconds."),
                      onError: (error) => toast.error(errorMessage(error)),
                    })
                  }
                >
                  <PlayIcon /> Run checks now
                </Button>
              </span>
            </TooltipTrigger>
            <TooltipContent>{blocker ?? "Runs every check now instead of waiting for its interval."}</TooltipContent>
          </Tooltip>
        ) : null}
      </div>
      {blocker && mayMutate && items.length > 0 ? (
        <p className="text-xs text-muted-foreground" data-testid="run-checks-blocker">
          {blocker}
        </p>
      ) : null}
      {checks.isError ? <ErrorMessage error={checks.error} onRetry={() => void checks.refetch()} /> : null}
      {checks.isPending ? (
        <Skeleton className="h-40" />
      ) : items.length === 0 ? (
        <EmptyState icon={ActivityIcon} title="No checks on this agent" data-testid="agent-checks-empty">
          Checks come from policies assigned globally, to the agent's client or site, or to the agent itself.
        </EmptyState>
      ) : (
        <Card className="overflow-hidden">
          <Table data-testid="agent-checks-table">
            <TableHeader>
              <TableRow>
                <TableHead className="w-8" />
                <TableHead className="w-28">State</TableHead>
                <TableHead>Check</TableHead>
                <TableHead className="w-72">Last {HISTORY_HOURS} h</TableHead>
                <TableHead className="w-28">Last checked</TableHead>
                <TableHead className="w-32">In this state</TableHead>
                <TableHead className="w-40">Policy</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((check) => (
                <Fragment key={check.name}>
                  <TableRow data-testid="agent-check-row" data-check-name={check.name} data-state={check.state}>
                    <TableCell>
                      <Button
                        variant="ghost"
                        size="icon"
                        className="size-6"
                        aria-expanded={expanded.has(check.name)}
                        aria-label={`${expanded.has(check.name) ? "Hide" : "Show"} the output of ${check.name}`}
                        onClick={() => toggle(check.name)}
                      >
                        {expanded.has(check.name) ? <ChevronDownIcon /> : <ChevronRightIcon />}
                      </Button>
                    </TableCell>
                    <TableCell>
                      <CheckStateBadge state={check.state} />
                    </TableCell>
                    <TableCell className="max-w-0 min-w-56">
                      <div className="flex min-w-0 items-center gap-2">
                        <span className="truncate font-medium" title={check.name}>
                          {check.name}
                        </span>
                        <span className="text-xs text-muted-foreground">{check.type}</span>
                        {check.state === "failing" || check.state === "warning" ? (
                          <SeverityBadge severity={check.severity} />
                        ) : (
                          <span className="text-xs text-muted-foreground" title="The alert's severity when it fails">
                            {check.severity}
                          </span>
                        )}
                      </div>
                      <div className="truncate text-xs text-muted-foreground" title={check.output}>
                        {check.output || (check.state === "pending" ? "Waiting for the agent's first result." : "")}
                      </div>
                    </TableCell>
                    <TableCell>
                      <HistoryStrip agentId={agentId} check={check} now={now} />
                    </TableCell>
                    <TableCell className="text-muted-foreground">
                      <RelativeTime value={check.last_checked_at} />
                    </TableCell>
                    <TableCell className="text-xs text-muted-foreground">
                      {stateDuration(check.since, now) ?? "–"}
                      {check.state === "failing" || check.state === "warning" ? (
                        <div title="Runs in a row in this state; the policy alerts at fail_after">
                          {check.consecutive} in a row, alerts at {check.fail_after}
                        </div>
                      ) : null}
                    </TableCell>
                    <TableCell className="max-w-40 truncate text-muted-foreground" title={check.policy_name}>
                      {check.policy_name}
                    </TableCell>
                  </TableRow>
                  {expanded.has(check.name) ? (
                    <TableRow data-testid="agent-check-output">
                      <TableCell />
                      <TableCell colSpan={6}>
                        <pre className="max-h-64 overflow-auto rounded-md bg-muted px-3 py-2 font-mono text-xs whitespace-pre-wrap">
                          {check.output || "No output."}
                        </pre>
                        <p className="mt-1 text-xs text-muted-foreground">
                          Every {check.interval_seconds} s; alerts after {check.fail_after} failing run{check.fail_after === 1 ? "" : "s"}{" "}
                          in a row.
                          {check.value !== null && check.value !== undefined ? ` Value: ${check.value}.` : ""}
                        </p>
                      </TableCell>
                    </TableRow>
                  ) : null}
                </Fragment>
              ))}
            </TableBody>
          </Table>
        </Card>
      )}
    </div>
  );
}

const STRIP_CLASS: Record<StripState, string> = {
  failing: "bg-destructive",
  warning: "bg-warning",
  passing: "bg-success",
  pending: "bg-muted-foreground/30",
  unknown: "bg-muted",
};

/** The check's states over the last 24 hours as a bar, oldest on the left. */
function HistoryStrip({ agentId, check, now }: { agentId: string; check: AgentCheck; now: number }) {
  const history = useCheckHistory(agentId, check.name);
  if (history.isPending) return <Skeleton className="h-3 w-full" />;
  if (history.isError) return <span className="text-xs text-muted-foreground">history unavailable</span>;
  const segments = historySegments(history.data.items, check, now, HISTORY_HOURS);
  return (
    <div
      className="flex h-3 w-full overflow-hidden rounded-sm"
      data-testid="check-history-strip"
      aria-label={`${check.name} over ${HISTORY_HOURS} hours`}
    >
      {segments.map((segment) => (
        <div
          key={segment.from}
          // A state of a few minutes in 24 hours still shows, as a sliver.
          className={cn("h-full", STRIP_CLASS[segment.state], segment.state !== "unknown" && "min-w-0.5")}
          style={{ width: `${segment.fraction * 100}%` }}
          title={`${segment.state === "unknown" ? "Unknown" : CHECK_STATE_LABELS[segment.state]}: ${formatDateTime(new Date(segment.from).toISOString())} to ${formatDateTime(new Date(segment.to).toISOString())}`}
          data-state={segment.state}
        />
      ))}
    </div>
  );
}
