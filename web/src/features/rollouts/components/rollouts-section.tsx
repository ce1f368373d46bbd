//! The rollouts: the one running or halted (its waves refreshed every few seconds, a halt's reason
//! with Resume and Cancel), "Start rollout" or why it is not available, and the past rollouts.
import { OctagonAlertIcon, PlayIcon, RocketIcon, XIcon } from "lucide-react";
import { useState } from "react";
import type { AgentReleaseList, Rollout } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { useNow } from "@/hooks/use-now";
import { useCan } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { useCancelRollout, useResumeRollout, useRollout, useRollouts } from "../api/rollouts";
import {
  activeRollout,
  agentVersions,
  formatWaves,
  ROLLOUT_STATE_LABELS,
  ROLLOUT_STATE_VARIANTS,
  startBlockedReason,
} from "../rollout-form";
import { RolloutCounts, WaveStepper } from "./rollout-progress";
import { StartRolloutDialog } from "./start-rollout-dialog";

export function RolloutsSection({ releases }: { releases: AgentReleaseList | undefined }) {
  const mayManage = useCan("manage_agents");
  const rollouts = useRollouts();
  const now = useNow(60_000);
  const active = activeRollout(rollouts.data?.items ?? []);
  const blocked = rollouts.data ? startBlockedReason(releases, active, now) : "Loading the rollouts…";
  const [shown, setShown] = useState<Rollout | null>(null);
  const history = (rollouts.data?.items ?? []).filter((rollout) => rollout.id !== active?.id);
  const historyList = { ...rollouts, data: rollouts.data ? { items: history, total: history.length, per_page: 0 } : undefined };

  const startButton = mayManage ? (
    <div className="flex flex-col items-end gap-1">
      {blocked ? (
        <Button disabled data-testid="start-rollout-button">
          <RocketIcon /> Start rollout
        </Button>
      ) : (
        <StartRolloutDialog
          versions={agentVersions(releases?.items ?? [], now)}
          trigger={
            <Button data-testid="start-rollout-button">
              <RocketIcon /> Start rollout
            </Button>
          }
        />
      )}
      {blocked ? (
        <p className="max-w-sm text-right text-xs text-muted-foreground" data-testid="start-rollout-blocked">
          {blocked}
        </p>
      ) : null}
    </div>
  ) : null;

  return (
    <SectionCard
      title={
        <>
          <RocketIcon className="size-4" aria-hidden /> Rollouts
        </>
      }
      description="A release goes out in growing waves; a health gate between waves halts the rollout when too many updates fail."
      actions={startButton}
      data-testid="rollouts-card"
      contentClassName="grid gap-4"
    >
      {rollouts.isError ? <ErrorMessage error={rollouts.error} onRetry={() => void rollouts.refetch()} /> : null}
      {active ? <ActiveRollout id={active.id} mayManage={mayManage} /> : null}
      <div className="grid gap-2">
        <h3 className="text-xs font-medium text-muted-foreground">{active ? "Earlier rollouts" : "History"}</h3>
        <DataTable
          query={historyList}
          columns={historyColumns((rollout) => setShown(rollout))}
          rowKey={(rollout) => rollout.id}
          rowProps={(rollout) => ({ "data-testid": "rollout-row", "data-state": rollout.state, "data-version": rollout.version })}
          testId="rollouts-table"
          loadingClassName="h-24"
          empty={
            <EmptyState title={active ? "No earlier rollout" : "No rollout yet"} data-testid="rollouts-empty">
              {active ? null : "Start one when a new agent release is published: the first wave reaches 1% of the agents."}
            </EmptyState>
          }
        />
      </div>
      <Dialog open={shown !== null} onOpenChange={(open) => !open && setShown(null)}>
        <DialogContent className="sm:max-w-3xl" data-testid="rollout-detail-dialog">
          {shown ? <RolloutDetail id={shown.id} /> : null}
        </DialogContent>
      </Dialog>
    </SectionCard>
  );
}

function RolloutStateBadge({ rollout }: { rollout: Pick<Rollout, "state"> }) {
  return (
    <Badge variant={ROLLOUT_STATE_VARIANTS[rollout.state]} data-testid="rollout-state">
      {ROLLOUT_STATE_LABELS[rollout.state]}
    </Badge>
  );
}

/** The running or halted rollout, read with its waves' progress (refreshed while it acts). */
function ActiveRollout({ id, mayManage }: { id: string; mayManage: boolean }) {
  const rollout = useRollout(id);
  if (rollout.isError) return <ErrorMessage error={rollout.error} onRetry={() => void rollout.refetch()} />;
  if (!rollout.data) return <Skeleton className="h-40" />;
  const data = rollout.data;
  return (
    <div className="grid gap-3 rounded-lg border p-3" data-testid="active-rollout" data-state={data.state}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-base font-semibold tabular-nums" data-testid="active-rollout-version">
            {data.version}
          </span>
          <RolloutStateBadge rollout={data} />
          <span className="text-xs text-muted-foreground">
            wave {Math.min(data.current_wave + 1, data.waves.length)} of {data.waves.length} since {formatDateTime(data.wave_started_at)} ·
            started by {data.created_by_email}
          </span>
        </div>
        {mayManage ? <RolloutActions rollout={data} /> : null}
      </div>
      {data.state === "halted" ? (
        <div
          role="alert"
          className="flex items-start gap-2 rounded-md border border-destructive/40 bg-destructive/10 px-3 py-2 text-sm text-destructive"
          data-testid="rollout-halt-reason"
        >
          <OctagonAlertIcon className="mt-0.5 size-4 shrink-0" aria-hidden />
          <span className="grid gap-0.5">
            <span>
              <span className="font-medium">Halted by the health gate: </span>
              {data.halt_reason ?? "no reason recorded"}
            </span>
            <span className="text-xs">No agent is offered the release until the rollout is resumed.</span>
          </span>
        </div>
      ) : null}
      <RolloutCounts rollout={data} />
      <WaveStepper waves={data.waves} />
    </div>
  );
}

function RolloutActions({ rollout }: { rollout: Rollout }) {
  const resume = useResumeRollout();
  const cancel = useCancelRollout();
  return (
    <div className="flex gap-2">
      {rollout.state === "halted" ? (
        <ConfirmDialog
          trigger={
            <Button size="sm" data-testid="resume-rollout">
              <PlayIcon /> Resume
            </Button>
          }
          title={`Resume the rollout of ${rollout.version}?`}
          description="The current wave goes on. Its failures so far are accepted: the gate judges only the updates that finish from now on, and the agents that failed are not offered the release again by this rollout."
          confirmLabel="Resume"
          variant="default"
          onConfirm={() => resume.mutateAsync(rollout.id)}
        />
      ) : null}
      <ConfirmDialog
        trigger={
          <Button size="sm" variant="outline" data-testid="cancel-rollout">
            <XIcon /> Cancel rollout
          </Button>
        }
        title={`Cancel the rollout of ${rollout.version}?`}
        description="No more agents are offered the release. Updates already under way finish; agents already updated keep the new version."
        confirmLabel="Cancel rollout"
        onConfirm={() => cancel.mutateAsync(rollout.id)}
      />
    </div>
  );
}

/** A past rollout's waves, in a dialog from the history. */
function RolloutDetail({ id }: { id: string }) {
  const rollout = useRollout(id);
  return (
    <div className="grid gap-3">
      <DialogHeader>
        <DialogTitle>Rollout of {rollout.data?.version ?? "…"}</DialogTitle>
        <DialogDescription>
          {rollout.data ? `Started ${formatDateTime(rollout.data.created_at)} by ${rollout.data.created_by_email}.` : "Loading…"}
        </DialogDescription>
      </DialogHeader>
      {rollout.isError ? <ErrorMessage error={rollout.error} onRetry={() => void rollout.refetch()} /> : null}
      {rollout.data ? (
        <>
          {rollout.data.halt_reason ? <p className="text-sm text-destructive">Halted: {rollout.data.halt_reason}</p> : null}
          <RolloutCounts rollout={rollout.data} />
          <WaveStepper waves={rollout.data.waves} />
        </>
      ) : (
        <Skeleton className="h-32" />
      )}
    </div>
  );
}

function historyColumns(onShow: (rollout: Rollout) => void): DataColumn<Rollout>[] {
  return [
    {
      header: "Version",
      headerClassName: "w-40",
      cell: (rollout) => (
        <button
          type="button"
          className="font-medium tabular-nums hover:underline"
          onClick={() => onShow(rollout)}
          data-testid="show-rollout"
        >
          {rollout.version}
        </button>
      ),
    },
    { header: "State", headerClassName: "w-28", cell: (rollout) => <RolloutStateBadge rollout={rollout} /> },
    {
      header: "Waves",
      fill: true,
      className: "truncate text-xs tabular-nums",
      cell: (rollout) => (
        <span title={rollout.halt_reason ?? undefined}>
          {formatWaves(rollout.waves.map((wave) => wave.percent))} %
          {rollout.state === "completed" ? null : (
            <span className="text-muted-foreground"> · stopped in wave {Math.min(rollout.current_wave + 1, rollout.waves.length)}</span>
          )}
        </span>
      ),
    },
    { header: "Started by", headerClassName: "w-56", className: "truncate text-xs", cell: (rollout) => rollout.created_by_email },
    {
      header: "Started",
      headerClassName: "w-44",
      className: "text-xs tabular-nums",
      cell: (rollout) => formatDateTime(rollout.created_at),
    },
    {
      header: "Last change",
      headerClassName: "w-44",
      className: "text-xs tabular-nums",
      cell: (rollout) => formatDateTime(rollout.updated_at),
    },
  ];
}
