//! Plans a maintenance window: on an agent, a site or a client (picked, or fixed by the page it is
//! made from), start and end in the browser's time zone, weekly or once, and a reason.
import { useState, type ReactNode } from "react";
import { toast } from "sonner";
import { FormField } from "@/components/form-field";
import { ScopedTargetPicker } from "@/components/target-pickers";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { useFormProblems } from "@/hooks/use-form-problems";
import { useCreateMaintenanceWindow } from "../api/maintenance";
import {
  buildMaintenanceRequest,
  MAINTENANCE_SCOPES,
  maintenanceProblemFromServer,
  MAX_REASON_CHARS,
  newMaintenanceForm,
  type MaintenanceField,
  type MaintenanceFormValues,
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
  const [values, setValues] = useState<MaintenanceFormValues>(() => newMaintenanceForm(new Date(), fixed?.scope, fixed?.targetId ?? null));
  const { ids, setProblems, clear, fieldError, invalidProps, failureAlert, send } = useFormProblems<MaintenanceField>("maintenance");
  const create = useCreateMaintenanceWindow();

  const set = <K extends keyof MaintenanceFormValues>(field: K, value: MaintenanceFormValues[K], problem: MaintenanceField) => {
    setValues((current) => ({ ...current, [field]: value }));
    clear(problem);
  };

  const submit = async () => {
    const result = buildMaintenanceRequest(values, new Date());
    if (!result.ok) return setProblems(result.problems);
    if (await send(() => create.mutateAsync(result.body), maintenanceProblemFromServer)) {
      toast.success("Maintenance window planned.");
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
        <DialogTitle>Plan maintenance</DialogTitle>
        <DialogDescription>
          While a window is active, its agents raise no alert and nothing about them is notified; what is still true when it ends is
          notified then.
        </DialogDescription>
      </DialogHeader>
      {fixed ? null : (
        <div className="grid gap-2">
          <ScopedTargetPicker
            testId="maintenance"
            scopes={MAINTENANCE_SCOPES}
            scope={values.scope}
            onScopeChange={(option) => {
              setValues((current) => ({ ...current, scope: option, targetId: null }));
              clear("target");
            }}
            targetId={values.targetId}
            onTargetChange={(id) => set("targetId", id, "target")}
          />
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
      {failureAlert}
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
