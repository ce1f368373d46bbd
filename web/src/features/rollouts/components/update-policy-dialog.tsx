//! Sets an update policy: for the organization, a client, a site or an agent (picked when adding,
//! fixed when editing), its channel, the pinned version, and whether rollouts wait for a maintenance
//! window. Saving on a scope that has a policy replaces it, which the form says beforehand.
import { useState, type ReactNode } from "react";
import { toast } from "sonner";
import type { UpdatePolicy } from "@/api/types";
import { FormField } from "@/components/form-field";
import { ScopedTargetPicker } from "@/components/target-pickers";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { useFormProblems } from "@/hooks/use-form-problems";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { usePutUpdatePolicy } from "../api/rollouts";
import {
  buildUpdatePolicyRequest,
  existingPolicyFor,
  MAX_VERSION_CHARS,
  newUpdatePolicyForm,
  UPDATE_CHANNEL_DESCRIPTIONS,
  UPDATE_CHANNEL_LABELS,
  UPDATE_CHANNELS,
  UPDATE_POLICY_SCOPES,
  updatePolicyProblemFromServer,
  type UpdatePolicyField,
  type UpdatePolicyFormValues,
} from "../update-policy-form";

export function UpdatePolicyDialog({
  trigger,
  policy,
  targetName,
  policies,
  versions,
}: {
  trigger: ReactNode;
  /** The policy edited; absent to add one. */
  policy?: UpdatePolicy;
  /** The edited policy's target, as the table names it. */
  targetName?: string;
  /** Every policy, to say when saving replaces one. */
  policies: readonly UpdatePolicy[];
  /** The published versions, offered for a pinned channel. */
  versions: readonly string[];
}) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent data-testid="update-policy-dialog">
        {open ? (
          <UpdatePolicyForm policy={policy} targetName={targetName} policies={policies} versions={versions} onDone={() => setOpen(false)} />
        ) : null}
      </DialogContent>
    </Dialog>
  );
}

function UpdatePolicyForm({
  policy,
  targetName,
  policies,
  versions,
  onDone,
}: {
  policy?: UpdatePolicy;
  targetName?: string;
  policies: readonly UpdatePolicy[];
  versions: readonly string[];
  onDone: () => void;
}) {
  const [values, setValues] = useState<UpdatePolicyFormValues>(() => newUpdatePolicyForm(policy));
  const { ids, setProblems, clear, fieldError, invalidProps, failureAlert, send } = useFormProblems<UpdatePolicyField>("update-policy");
  const save = usePutUpdatePolicy();
  const replaced = policy ? null : existingPolicyFor(policies, values.scope, values.targetId);

  const set = <K extends keyof UpdatePolicyFormValues>(field: K, value: UpdatePolicyFormValues[K], problem?: UpdatePolicyField) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (problem) clear(problem);
  };

  const submit = async () => {
    const result = buildUpdatePolicyRequest(values);
    if (!result.ok) return setProblems(result.problems);
    if (await send(() => save.mutateAsync(result.body), updatePolicyProblemFromServer)) {
      toast.success("Update policy saved.");
      onDone();
    }
  };

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
        <DialogTitle>{policy ? "Edit update policy" : "Add update policy"}</DialogTitle>
        <DialogDescription>
          An agent follows its own policy, else its site’s, its client’s, the organization’s; without any, it takes stable releases at any
          time.
        </DialogDescription>
      </DialogHeader>
      {policy ? (
        <p className="text-sm" data-testid="update-policy-target">
          <span className="text-muted-foreground">{POLICY_SCOPE_LABELS[policy.scope]}: </span>
          <span className="font-medium">{policy.scope === "global" ? "Every agent of the organization" : (targetName ?? "…")}</span>
        </p>
      ) : (
        <div className="grid gap-2">
          <ScopedTargetPicker
            testId="update-policy"
            scopes={UPDATE_POLICY_SCOPES}
            scope={values.scope}
            onScopeChange={(option) => {
              setValues((current) => ({ ...current, scope: option, targetId: null }));
              clear("target");
            }}
            targetId={values.targetId}
            onTargetChange={(id) => set("targetId", id, "target")}
            labels={{ global: "Organization" }}
            globalNote="Every agent without a client, site or agent policy of its own."
          />
          {fieldError("target")}
          {replaced ? (
            <p className="text-xs text-amber-700 dark:text-warning" data-testid="update-policy-replaces">
              This {values.scope === "global" ? "organization" : values.scope} already has a policy (
              {UPDATE_CHANNEL_LABELS[replaced.channel]}): saving replaces it.
            </p>
          ) : null}
        </div>
      )}
      <FormField label="Channel" htmlFor={`${ids}-channel`} hint={UPDATE_CHANNEL_DESCRIPTIONS[values.channel]}>
        <Select
          value={values.channel}
          onValueChange={(channel) => set("channel", channel as UpdatePolicyFormValues["channel"], "pinned_version")}
        >
          <SelectTrigger id={`${ids}-channel`} className="w-full" data-testid="update-policy-channel">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {UPDATE_CHANNELS.map((channel) => (
              <SelectItem key={channel} value={channel}>
                {UPDATE_CHANNEL_LABELS[channel]}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
      {values.channel === "pinned" ? (
        <FormField
          label="Pinned version"
          htmlFor={`${ids}-pinned`}
          hint="The agents stay at this version: only its rollout reaches them."
          error={fieldError("pinned_version")}
        >
          <Input
            id={`${ids}-pinned`}
            value={values.pinnedVersion}
            maxLength={MAX_VERSION_CHARS}
            placeholder="e.g. 1.2.0"
            list={`${ids}-versions`}
            data-testid="update-policy-pinned"
            onChange={(e) => set("pinnedVersion", e.target.value, "pinned_version")}
            {...invalidProps("pinned_version")}
          />
          <datalist id={`${ids}-versions`}>
            {versions.map((version) => (
              <option key={version} value={version} />
            ))}
          </datalist>
        </FormField>
      ) : null}
      <label className="flex items-start gap-2 text-sm">
        <Switch
          checked={values.maintenanceOnly}
          onCheckedChange={(checked) => set("maintenanceOnly", checked)}
          data-testid="update-policy-maintenance-only"
          className="mt-0.5"
          disabled={values.channel === "manual"}
        />
        <span>
          Only during maintenance windows
          <span className="block text-xs text-muted-foreground">
            Rollouts update these agents only while one of their maintenance windows is active (plan windows on the Maintenance page).
          </span>
        </span>
      </label>
      {failureAlert}
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onDone} disabled={save.isPending}>
          Cancel
        </Button>
        <Button type="submit" disabled={save.isPending} data-testid="update-policy-submit">
          {save.isPending ? "Saving…" : "Save policy"}
        </Button>
      </DialogFooter>
    </form>
  );
}
