//! Starts a staged rollout: a published agent version (the newest stable one proposed, betas
//! marked), the waves as a comma list and the failure limit, checked as the server checks them, with
//! a sentence saying what will happen and the server's refusal shown in place.
import { useState, type ReactNode } from "react";
import { toast } from "sonner";
import { FormField } from "@/components/form-field";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useFormProblems } from "@/hooks/use-form-problems";
import { useStartRollout } from "../api/rollouts";
import {
  buildRolloutRequest,
  defaultVersion,
  newRolloutForm,
  parseWaves,
  rolloutProblemFromServer,
  rolloutSummary,
  type ReleaseVersion,
  type RolloutField,
  type RolloutFormValues,
} from "../rollout-form";

export function StartRolloutDialog({ trigger, versions }: { trigger: ReactNode; versions: readonly ReleaseVersion[] }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent data-testid="start-rollout-dialog">
        {open ? <StartRolloutForm versions={versions} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function StartRolloutForm({ versions, onDone }: { versions: readonly ReleaseVersion[]; onDone: () => void }) {
  const [values, setValues] = useState<RolloutFormValues>(() => newRolloutForm(defaultVersion(versions)));
  const { ids, setProblems, clear, fieldError, invalidProps, failureAlert, send } = useFormProblems<RolloutField>("rollout");
  const start = useStartRollout();

  const set = <K extends keyof RolloutFormValues>(field: K, value: RolloutFormValues[K], problem: RolloutField) => {
    setValues((current) => ({ ...current, [field]: value }));
    clear(problem);
  };

  const submit = async () => {
    const result = buildRolloutRequest(values);
    if (!result.ok) return setProblems(result.problems);
    if (await send(() => start.mutateAsync(result.body), rolloutProblemFromServer)) {
      toast.success(`Rollout of ${result.body.version} started.`);
      onDone();
    }
  };

  const selected = versions.find((version) => version.version === values.version);
  const preview = buildRolloutRequest(values);
  const waves = parseWaves(values.waves);
  return (
    <form
      className="grid gap-4"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>Start a rollout</DialogTitle>
        <DialogDescription>
          The release goes out in waves to the agents whose update policy takes it. Between waves the health gate moves on, or halts the
          rollout when too many of a wave’s updates fail.
        </DialogDescription>
      </DialogHeader>
      <FormField
        label="Release"
        htmlFor={`${ids}-version`}
        hint={selected ? `Builds for ${selected.platforms.join(", ")}.` : undefined}
        error={fieldError("version")}
      >
        <Select value={values.version ?? ""} onValueChange={(version) => set("version", version, "version")}>
          <SelectTrigger id={`${ids}-version`} className="w-full" data-testid="rollout-version" {...invalidProps("version")}>
            <SelectValue placeholder="Pick a release" />
          </SelectTrigger>
          <SelectContent>
            {versions.map((version) => (
              <SelectItem key={version.version} value={version.version} disabled={version.expired}>
                <span className="tabular-nums">{version.version}</span>
                {version.channel === "beta" ? <Badge variant="warning">Beta</Badge> : null}
                {version.expired ? <Badge variant="destructive">Expired</Badge> : null}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
      {selected?.channel === "beta" ? (
        <p className="rounded-md bg-warning/10 px-3 py-2 text-xs" data-testid="rollout-beta-note">
          A beta release reaches only the agents whose policy is on the beta channel (or pinned to this version).
        </p>
      ) : null}
      <div className="grid gap-3 sm:grid-cols-[1fr_9rem]">
        <FormField
          label="Waves (% of the eligible agents, cumulative)"
          htmlFor={`${ids}-waves`}
          hint="1 to 10 growing percentages, the last 100."
          error={fieldError("waves")}
        >
          <Input
            id={`${ids}-waves`}
            value={values.waves}
            inputMode="numeric"
            data-testid="rollout-waves-input"
            onChange={(e) => set("waves", e.target.value, "waves")}
            {...invalidProps("waves")}
          />
        </FormField>
        <FormField label="Failure limit (%)" htmlFor={`${ids}-max-failure`} error={fieldError("max_failure_percent")}>
          <Input
            id={`${ids}-max-failure`}
            type="number"
            min={0}
            max={100}
            value={values.maxFailurePercent}
            data-testid="rollout-max-failure"
            onChange={(e) => set("maxFailurePercent", e.target.value, "max_failure_percent")}
            {...invalidProps("max_failure_percent")}
          />
        </FormField>
      </div>
      {preview.ok && waves.ok ? (
        <p className="text-sm text-muted-foreground" data-testid="rollout-summary">
          {rolloutSummary(preview.body.version, waves.waves, preview.body.max_failure_percent ?? 0)}
        </p>
      ) : null}
      {failureAlert}
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onDone} disabled={start.isPending}>
          Cancel
        </Button>
        <Button type="submit" disabled={start.isPending} data-testid="rollout-submit">
          {start.isPending ? "Starting…" : "Start rollout"}
        </Button>
      </DialogFooter>
    </form>
  );
}
