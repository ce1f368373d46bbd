//! The typed value form, to add a value or edit one: name, type and data inputs per type, checked
//! before anything is sent.
import { useId, useState, type ReactNode } from "react";
import { errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import type { RegistryData } from "@/api/types";
import { buildRegistryValue, WRITABLE_TYPES, type ValueForm, type WritableType } from "../registry-values";

const DATA_HINTS: Record<WritableType, string> = {
  REG_SZ: "Text.",
  REG_EXPAND_SZ: "Text; %VARIABLES% are expanded by the program that reads it.",
  REG_MULTI_SZ: "One string per line; empty lines are not allowed.",
  REG_DWORD: "0 to 4294967295, in decimal (3) or hex (0x3).",
  REG_QWORD: "In decimal or 0x hex, up to 9007199254740991 (the largest the dashboard sends exactly).",
  REG_BINARY: "Hex bytes, e.g. 01 ab ff (spaces and commas are ignored).",
  REG_NONE: "No data.",
};

/**
 * A dialog that asks for a value and hands it to `onSave` once it is valid; an invalid form shows
 * why and sends nothing. Editing (`initial` given) keeps the name.
 */
export function ValueDialog({
  trigger,
  title,
  description,
  initial,
  editing,
  onSave,
}: {
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  initial: ValueForm;
  editing: boolean;
  onSave: (name: string, value: RegistryData) => Promise<unknown>;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent className="sm:max-w-lg" data-testid="registry-value-dialog">
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription>{description}</DialogDescription>
        </DialogHeader>
        {open ? <ValueFormFields initial={initial} editing={editing} onSave={onSave} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function ValueFormFields({
  initial,
  editing,
  onSave,
  onDone,
}: {
  initial: ValueForm;
  editing: boolean;
  onSave: (name: string, value: RegistryData) => Promise<unknown>;
  onDone: () => void;
}) {
  const ids = useId();
  const [form, setForm] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const change = (partial: Partial<ValueForm>) => {
    setForm((previous) => ({ ...previous, ...partial }));
    setProblem(null);
  };
  const submit = async () => {
    const built = buildRegistryValue(form);
    if (!built.ok) {
      setProblem(built.message);
      return;
    }
    setPending(true);
    try {
      await onSave(built.value.name, built.value.value);
      onDone();
    } catch (error) {
      setProblem(errorMessage(error));
    } finally {
      setPending(false);
    }
  };
  const multiline = form.type === "REG_MULTI_SZ" || form.type === "REG_BINARY";
  return (
    <form
      className="grid gap-3"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <FormField label="Name" htmlFor={`${ids}-name`} hint={editing ? undefined : "Leave empty for the key's (Default) value."}>
        <Input id={`${ids}-name`} value={form.name} readOnly={editing} onChange={(event) => change({ name: event.target.value })} />
      </FormField>
      <FormField label="Type" htmlFor={`${ids}-type`}>
        <Select value={form.type} onValueChange={(type) => change({ type: type as WritableType })}>
          <SelectTrigger id={`${ids}-type`} aria-label="Type" className="w-48">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {WRITABLE_TYPES.map((type) => (
              <SelectItem key={type} value={type}>
                {type}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </FormField>
      {form.type === "REG_NONE" ? (
        <p className="text-xs text-muted-foreground">{DATA_HINTS.REG_NONE}</p>
      ) : (
        <FormField label="Data" htmlFor={`${ids}-data`} hint={DATA_HINTS[form.type]}>
          {multiline ? (
            <Textarea
              id={`${ids}-data`}
              value={form.data}
              rows={5}
              className="font-mono text-xs"
              onChange={(event) => change({ data: event.target.value })}
            />
          ) : (
            <Input
              id={`${ids}-data`}
              value={form.data}
              className={form.type === "REG_SZ" || form.type === "REG_EXPAND_SZ" ? undefined : "font-mono"}
              onChange={(event) => change({ data: event.target.value })}
            />
          )}
        </FormField>
      )}
      {problem ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-2 py-1.5 text-xs text-destructive" data-testid="registry-value-error">
          {problem}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={pending}>
          {pending ? "Sending…" : "Save value"}
        </Button>
      </DialogFooter>
    </form>
  );
}
