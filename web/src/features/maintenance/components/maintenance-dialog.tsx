//! Plans a maintenance window: on an agent, a site or a client (picked, or fixed by the page it is
//! made from), start and end in the browser's time zone, weekly or once, and a reason.
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { AgentPicker, ClientSitePicker } from "@/components/target-pickers";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { cn } from "@/lib/utils";
import { useCreateMaintenanceWindow } from "../api/maintenance";
import {
  buildMaintenanceRequest,
  MAINTENANCE_SCOPES,
  maintenanceProblemFromServer,
  MAX_REASON_CHARS,
  newMaintenanceForm,
  type MaintenanceField,
  type MaintenanceFormValues,
  type MaintenanceProblems,
  type MaintenanceScope,
} from "../maintenance-form";

export function MaintenanceDialog({ trigger, fixed }: { trigger: ReactNode; fixed?: { scope: MaintenanceScope; targetId: string } }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent data-testid="maintenance-dialog">
        {open ? <MaintenanceForm fixed={fixed} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function MaintenanceForm({ fixed, onDone }: { fixed?: { scope: MaintenanceScope; targetId: string }; onDone: () => void }) {
  const ids = useId();
  const [values, setValues] = useState<MaintenanceFormValues>(() => newMaintenanceForm(new Date(), fixed?.scope, fixed?.targetId ?? null));
  const [clientId, setClientId] = useState<string | null>(null);
  const [problems, setProblems] = useState<MaintenanceProblems>({});
  const [failure, setFailure] = useState<string | null>(null);
  const create = useCreateMaintenanceWindow();

  const set = <K extends keyof MaintenanceFormValues>(field: K, value: MaintenanceFormValues[K], problem: MaintenanceField) => {
    setValues((current) => ({ ...current, [field]: value }));
    setProblems((current) => ({ ...current, [problem]: undefined }));
  };
  const fieldError = (field: MaintenanceField) =>
    problems[field] ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid="maintenance-field-error" data-field={field}>
        {problems[field]}
      </p>
    ) : null;
  const invalidProps = (field: MaintenanceField) =>
    problems[field] ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};

  const submit = async () => {
    setFailure(null);
    const result = buildMaintenanceRequest(values, new Date());
    if (!result.ok) return setProblems(result.problems);
    try {
      await create.mutateAsync(result.body);
      toast.success("Maintenance window planned.");
      onDone();
    } catch (error) {
      const placed = error instanceof ApiError && error.status === 422 ? maintenanceProblemFromServer(error.message) : null;
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
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
        <DialogTitle>Plan maintenance</DialogTitle>
        <DialogDescription>
          While a window is active, its agents raise no alert and nothing about them is notified; what is still true when it ends is
          notified then.
        </DialogDescription>
      </DialogHeader>
      {fixed ? null : (
        <div className="grid gap-2">
          <div role="radiogroup" aria-label="Scope" className="inline-flex w-fit rounded-md border p-0.5">
            {MAINTENANCE_SCOPES.map((option) => (
              <button
                key={option}
                type="button"
                role="radio"
                aria-checked={values.scope === option}
                data-testid={`maintenance-scope-${option}`}
                className={cn(
                  "rounded px-2.5 py-1 text-xs text-muted-foreground hover:text-foreground",
                  values.scope === option && "bg-accent font-medium text-foreground",
                )}
                onClick={() => {
                  setValues((current) => ({ ...current, scope: option, targetId: null }));
                  setProblems((current) => ({ ...current, target: undefined }));
                }}
              >
                {POLICY_SCOPE_LABELS[option]}
              </button>
            ))}
          </div>
          {values.scope === "agent" ? (
            <AgentPicker testId="maintenance" value={values.targetId} onChange={(id) => set("targetId", id, "target")} />
          ) : (
            <ClientSitePicker
              testId="maintenance"
              scope={values.scope}
              clientId={clientId}
              onClientChange={setClientId}
              value={values.targetId}
              onChange={(id) => set("targetId", id, "target")}
            />
          )}
          {fieldError("target")}
        </div>
      )}
      <div className="grid gap-3 sm:grid-cols-2">
        <FormField label="Starts" htmlFor={`${ids}-start`} error={fieldError("starts_at")}>
          <Input
            id={`${ids}-start`}
            type="datetime-local"
            value={values.startsAt}
            onChange={(e) => set("startsAt", e.target.value, "starts_at")}
            {...invalidProps("starts_at")}
          />
        </FormField>
        <FormField
          label="Ends"
          htmlFor={`${ids}-end`}
          hint={values.weekly ? "The end of the first occurrence; at most 7 days long." : "At most 90 days after the start."}
          error={fieldError("ends_at")}
        >
          <Input
            id={`${ids}-end`}
            type="datetime-local"
            value={values.endsAt}
            onChange={(e) => set("endsAt", e.target.value, "ends_at")}
            {...invalidProps("ends_at")}
          />
        </FormField>
      </div>
      <label className="flex items-start gap-2 text-sm">
        <Switch
          checked={values.weekly}
          onCheckedChange={(weekly) => set("weekly", weekly, "ends_at")}
          data-testid="maintenance-weekly"
          className="mt-0.5"
        />
        <span>
          Weekly
          <span className="block text-xs text-muted-foreground">Repeat every seven days from the start.</span>
        </span>
      </label>
      <FormField label="Reason" htmlFor={`${ids}-reason`} error={fieldError("reason")}>
        <Input
          id={`${ids}-reason`}
          value={values.reason}
          maxLength={MAX_REASON_CHARS}
          placeholder="e.g. Switch replacement"
          onChange={(e) => set("reason", e.target.value, "reason")}
          {...invalidProps("reason")}
        />
      </FormField>
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onDone} disabled={create.isPending}>
          Cancel
        </Button>
        <Button type="submit" disabled={create.isPending} data-testid="maintenance-submit">
          {create.isPending ? "Saving…" : "Plan window"}
        </Button>
      </DialogFooter>
    </form>
  );
}
