//! The dialogs of alert actions: acknowledge with an optional note (one alert or many), and snooze
//! until a preset or a custom time. Each stays open while the request runs and shows the server's
//! refusal inside it.
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { useAcknowledgeAlert, useBulkAlerts, useSnoozeAlert } from "../api/alerts";
import { SNOOZE_PRESETS, snoozeUntil, toDateTimeLocal, type SnoozeChoice } from "../snooze";

const MAX_NOTE_CHARS = 2000;

function ActionDialog({
  open,
  onOpenChange,
  title,
  description,
  submitLabel,
  pending,
  failure,
  onSubmit,
  testId,
  children,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: ReactNode;
  submitLabel: string;
  pending: boolean;
  failure: string | null;
  onSubmit: () => void;
  testId: string;
  children: ReactNode;
}) {
  return (
    <Dialog open={open} onOpenChange={(next) => !pending && onOpenChange(next)}>
      <DialogContent data-testid={testId}>
        <form
          className="grid gap-4"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            onSubmit();
          }}
        >
          <DialogHeader>
            <DialogTitle>{title}</DialogTitle>
            <DialogDescription>{description}</DialogDescription>
          </DialogHeader>
          {children}
          {failure ? (
            <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
              {failure}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="button" variant="outline" disabled={pending} onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pending}>
              {submitLabel}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

/** Acknowledges one alert or several (`ids`), with an optional note for the team. */
export function AcknowledgeDialog({
  ids,
  open,
  onOpenChange,
  onDone,
}: {
  ids: string[];
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDone?: () => void;
}) {
  const [note, setNote] = useState("");
  const one = useAcknowledgeAlert();
  const bulk = useBulkAlerts();
  const mutation = ids.length === 1 ? one : bulk;
  const id = useId();
  const tooLong = note.length > MAX_NOTE_CHARS;
  const close = (next: boolean) => {
    onOpenChange(next);
    if (!next) {
      setNote("");
      one.reset();
      bulk.reset();
    }
  };
  const submit = async () => {
    if (tooLong) return;
    try {
      if (ids.length === 1) {
        await one.mutateAsync({ id: ids[0] ?? "", note });
        toast.success("Alert acknowledged.");
      } else {
        const result = await bulk.mutateAsync({ ids, action: "acknowledge", note });
        toast.success(bulkMessage("acknowledged", result.changed.length, result.skipped.length));
      }
      close(false);
      onDone?.();
    } catch {
      // Shown in the dialog from the mutation's error.
    }
  };
  return (
    <ActionDialog
      open={open}
      onOpenChange={close}
      title={ids.length === 1 ? "Acknowledge alert" : `Acknowledge ${ids.length} alerts`}
      description="Acknowledged alerts stay unresolved until the condition clears, but stop reminding."
      submitLabel="Acknowledge"
      pending={mutation.isPending}
      failure={mutation.isError ? errorMessage(mutation.error) : null}
      onSubmit={() => void submit()}
      testId="acknowledge-dialog"
    >
      <FormField
        label="Note (optional)"
        htmlFor={id}
        hint="Shown with the alert, e.g. who is on it."
        error={tooLong ? <p className="text-xs text-destructive">At most {MAX_NOTE_CHARS} characters.</p> : null}
      >
        <Textarea id={id} value={note} onChange={(event) => setNote(event.target.value)} rows={3} aria-invalid={tooLong} autoFocus />
      </FormField>
    </ActionDialog>
  );
}

export function bulkMessage(verb: string, changed: number, skipped: number): string {
  const done = `${changed} alert${changed === 1 ? "" : "s"} ${verb}`;
  return skipped > 0 ? `${done}; ${skipped} skipped (already resolved or gone).` : `${done}.`;
}

/** Holds an alert's notifications until a preset or a custom time. */
export function SnoozeDialog({ alertId, open, onOpenChange }: { alertId: string; open: boolean; onOpenChange: (open: boolean) => void }) {
  const [choice, setChoice] = useState<SnoozeChoice>("1h");
  const [custom, setCustom] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const snooze = useSnoozeAlert();
  const id = useId();
  const close = (next: boolean) => {
    onOpenChange(next);
    if (!next) {
      setInvalid(null);
      snooze.reset();
    }
  };
  const submit = () => {
    const result = snoozeUntil(choice, custom, Date.now());
    if (!result.ok) {
      setInvalid(result.message);
      return;
    }
    setInvalid(null);
    snooze.mutate(
      { id: alertId, until: result.until },
      {
        onSuccess: () => {
          toast.success("Alert snoozed.");
          close(false);
        },
      },
    );
  };
  return (
    <ActionDialog
      open={open}
      onOpenChange={close}
      title="Snooze alert"
      description="Notifications and reminders about this alert wait until then; it stays in the list."
      submitLabel="Snooze"
      pending={snooze.isPending}
      failure={snooze.isError ? errorMessage(snooze.error) : null}
      onSubmit={submit}
      testId="snooze-dialog"
    >
      <div role="radiogroup" aria-label="Snooze for" className="flex flex-wrap gap-1.5">
        {[...SNOOZE_PRESETS, { value: "custom", label: "Until…" } as const].map((option) => (
          <Button
            key={option.value}
            type="button"
            role="radio"
            aria-checked={choice === option.value}
            variant={choice === option.value ? "default" : "outline"}
            size="sm"
            onClick={() => {
              setChoice(option.value);
              setInvalid(null);
              if (option.value === "custom" && custom === "") setCustom(toDateTimeLocal(Date.now() + 86_400_000));
            }}
          >
            {option.label}
          </Button>
        ))}
      </div>
      {choice === "custom" ? (
        <FormField label="Until" htmlFor={id} error={invalid ? <p className="text-xs text-destructive">{invalid}</p> : null}>
          <Input
            id={id}
            type="datetime-local"
            value={custom}
            onChange={(event) => {
              setCustom(event.target.value);
              setInvalid(null);
            }}
            aria-invalid={invalid !== null}
          />
        </FormField>
      ) : null}
    </ActionDialog>
  );
}
