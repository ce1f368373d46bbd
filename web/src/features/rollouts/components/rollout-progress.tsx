//! A rollout's waves as a stepper: each wave's share of the fleet, whether it passed, is being judged
//! or waits, and its agents by outcome; above them the eligible and up-to-date counts.
import { CheckIcon } from "lucide-react";
import type { Rollout, RolloutWave } from "@/api/types";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/lib/utils";
import { WAVE_STATE_LABELS } from "../rollout-form";

export function RolloutCounts({ rollout }: { rollout: Rollout }) {
  return (
    <dl className="flex flex-wrap gap-x-6 gap-y-1 text-sm" data-testid="rollout-counts">
      <Count
        label="Eligible"
        value={rollout.eligible}
        testId="rollout-eligible"
        title="Agents whose update policy takes this release, running an older version, not yet updated by this rollout."
      />
      <Count label="Up to date" value={rollout.up_to_date} testId="rollout-up-to-date" title="Agents running this release or newer." />
      <Count label="Failure limit" value={`${rollout.max_failure_percent}%`} />
    </dl>
  );
}

function Count({
  label,
  value,
  testId,
  title,
}: {
  label: string;
  value: number | string | null | undefined;
  testId?: string;
  title?: string;
}) {
  return (
    <div className="flex items-baseline gap-1.5" title={title}>
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="font-semibold tabular-nums" data-testid={testId}>
        {value ?? "—"}
      </dd>
    </div>
  );
}

export function WaveStepper({ waves }: { waves: readonly RolloutWave[] }) {
  return (
    <ol className="grid gap-2 sm:grid-cols-[repeat(auto-fit,minmax(11rem,1fr))]" aria-label="Waves" data-testid="rollout-waves">
      {waves.map((wave, index) => (
        <WaveStep key={index} wave={wave} index={index} />
      ))}
    </ol>
  );
}

function WaveStep({ wave, index }: { wave: RolloutWave; index: number }) {
  return (
    <li
      className={cn(
        "grid gap-1.5 rounded-md border p-2.5 text-xs",
        wave.state === "current" && "border-primary bg-primary/5",
        wave.state === "pending" && "text-muted-foreground",
      )}
      data-testid="rollout-wave"
      data-state={wave.state}
      aria-current={wave.state === "current" ? "step" : undefined}
    >
      <div className="flex items-center justify-between gap-2">
        <span className="flex items-center gap-1.5 text-sm font-medium text-foreground">
          <span
            className={cn(
              "grid size-5 place-items-center rounded-full border text-[11px] tabular-nums",
              wave.state === "passed" && "border-success bg-success text-background",
              wave.state === "current" && "border-primary text-primary",
            )}
            aria-hidden
          >
            {wave.state === "passed" ? <CheckIcon className="size-3" /> : index + 1}
          </span>
          {wave.percent}%
        </span>
        <Badge variant={wave.state === "passed" ? "success" : wave.state === "current" ? "info" : "muted"}>
          {WAVE_STATE_LABELS[wave.state]}
        </Badge>
      </div>
      <WaveBar wave={wave} />
      <dl className="grid grid-cols-2 gap-x-2 tabular-nums">
        <Outcome label="Installed" value={wave.installed} className="text-success" />
        <Outcome label="Failed" value={wave.failed} className={wave.failed > 0 ? "text-destructive" : undefined} />
        <Outcome label="Rolled back" value={wave.rolled_back} className={wave.rolled_back > 0 ? "text-destructive" : undefined} />
        <Outcome label="In progress" value={wave.in_progress} />
        <Outcome label="Waiting" value={wave.waiting} />
        <Outcome
          label="Reachable"
          value={wave.reachable}
          title="Waiting agents that can take it now: connected, and inside a maintenance window where their policy asks for one."
        />
      </dl>
    </li>
  );
}

function Outcome({ label, value, className, title }: { label: string; value: number; className?: string; title?: string }) {
  return (
    <div className="flex justify-between gap-1" title={title}>
      <dt className="text-muted-foreground">{label}</dt>
      <dd className={cn("font-medium", value > 0 && className)} data-testid={`wave-${label.toLowerCase().replace(/ /g, "-")}`}>
        {value}
      </dd>
    </div>
  );
}

/** The wave's agents as a bar: installed, failed, under way, and the rest still waiting. */
function WaveBar({ wave }: { wave: RolloutWave }) {
  // Failed counts rolled-back updates too.
  const total = wave.installed + wave.failed + wave.in_progress + wave.waiting;
  if (total === 0) return <div className="h-1.5 rounded-full bg-muted" aria-hidden />;
  const share = (count: number) => `${(count / total) * 100}%`;
  return (
    <div className="flex h-1.5 overflow-hidden rounded-full bg-muted" aria-hidden>
      <div className="bg-success" style={{ width: share(wave.installed) }} />
      <div className="bg-destructive" style={{ width: share(wave.failed) }} />
      <div className="bg-primary/60" style={{ width: share(wave.in_progress) }} />
    </div>
  );
}
