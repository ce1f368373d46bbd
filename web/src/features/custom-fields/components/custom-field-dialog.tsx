//! Defines a custom field (scope, name, key, kind, choices) or edits one (its name and choices; the
//! key and kind stay, since scripts and values depend on them).
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import type { CustomField, CustomFieldKind, CustomFieldScope } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { useCreateCustomField, useUpdateCustomField } from "../api/custom-fields";
import {
  buildFieldRequest,
  buildFieldUpdate,
  CUSTOM_FIELD_KINDS,
  CUSTOM_FIELD_SCOPES,
  fieldProblemFromServer,
  fieldToForm,
  KIND_LABELS,
  keyFromName,
  MAX_CHOICES,
  SCOPE_LABELS,
  type FieldFormField,
  type FieldFormValues,
} from "../custom-field-form";

export function CustomFieldDialog({ trigger, field, scope }: { trigger: ReactNode; field?: CustomField; scope?: CustomFieldScope }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent data-testid="custom-field-dialog">
        {open ? <FieldForm field={field} scope={scope ?? "agent"} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}

function FieldForm({ field, scope, onDone }: { field?: CustomField; scope: CustomFieldScope; onDone: () => void }) {
  const ids = useId();
  const [values, setValues] = useState<FieldFormValues>(() =>
    field ? fieldToForm(field) : { scope, key: "", name: "", kind: "text", choices: "" },
  );
  // The key follows the name until it is typed in.
  const [keyTouched, setKeyTouched] = useState(Boolean(field));
  const [problem, setProblem] = useState<{ field: FieldFormField; message: string } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const create = useCreateCustomField();
  const update = useUpdateCustomField();
  const pending = create.isPending || update.isPending;

  const set = (change: Partial<FieldFormValues>) => {
    setValues((current) => ({ ...current, ...change }));
    setProblem(null);
  };
  const errorOf = (name: FieldFormField) =>
    problem?.field === name ? (
      <p className="text-xs text-destructive" id={`${ids}-${name}-error`} data-testid="custom-field-error" data-field={name}>
        {problem.message}
      </p>
    ) : null;
  const invalid = (name: FieldFormField) =>
    problem?.field === name ? { "aria-invalid": true, "aria-describedby": `${ids}-${name}-error` } : {};

  const submit = async () => {
    setFailure(null);
    try {
      if (field) {
        const result = buildFieldUpdate(values);
        if (!result.ok) return setProblem(result);
        await update.mutateAsync({ id: field.id, body: result.body });
        toast.success(`Field ${values.name.trim()} saved.`);
      } else {
        const result = buildFieldRequest(values);
        if (!result.ok) return setProblem(result);
        await create.mutateAsync(result.body);
        toast.success(`Field ${values.name.trim()} defined.`);
      }
      onDone();
    } catch (error) {
      const placed = error instanceof ApiError && error.status < 500 ? fieldProblemFromServer(error.message) : null;
      if (placed) setProblem(placed);
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
        <DialogTitle>{field ? `Edit ${field.name}` : "New custom field"}</DialogTitle>
        <DialogDescription>
          {field
            ? "The key and the kind stay as they are: scripts and stored values depend on them."
            : "A field every client, site or agent can have a value of, shown on its page, filterable and readable by scripts."}
        </DialogDescription>
      </DialogHeader>
      <div className="grid gap-3 sm:grid-cols-2">
        <FormField label="Applies to" htmlFor={`${ids}-scope`}>
          <Select value={values.scope} disabled={Boolean(field)} onValueChange={(next) => set({ scope: next as CustomFieldScope })}>
            <SelectTrigger id={`${ids}-scope`} className="w-full" data-testid="custom-field-scope">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {CUSTOM_FIELD_SCOPES.map((option) => (
                <SelectItem key={option} value={option}>
                  {SCOPE_LABELS[option]}s
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </FormField>
        <FormField label="Kind" htmlFor={`${ids}-kind`}>
          <Select value={values.kind} disabled={Boolean(field)} onValueChange={(next) => set({ kind: next as CustomFieldKind })}>
            <SelectTrigger id={`${ids}-kind`} className="w-full" data-testid="custom-field-kind">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {CUSTOM_FIELD_KINDS.map((option) => (
                <SelectItem key={option} value={option}>
                  {KIND_LABELS[option]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </FormField>
      </div>
      <FormField label="Name" htmlFor={`${ids}-name`} error={errorOf("name")}>
        <Input
          id={`${ids}-name`}
          value={values.name}
          onChange={(event) =>
            set(keyTouched ? { name: event.target.value } : { name: event.target.value, key: keyFromName(event.target.value) })
          }
          placeholder="Backup path"
          data-testid="custom-field-name"
          {...invalid("name")}
        />
      </FormField>
      <FormField
        label="Key"
        htmlFor={`${ids}-key`}
        hint="How scripts and the agents list's filter name it: a-z, digits and _."
        error={errorOf("key")}
      >
        <Input
          id={`${ids}-key`}
          value={values.key}
          disabled={Boolean(field)}
          onChange={(event) => {
            setKeyTouched(true);
            set({ key: event.target.value });
          }}
          className="font-mono"
          spellCheck={false}
          data-testid="custom-field-key"
          {...invalid("key")}
        />
      </FormField>
      {values.kind === "choice" ? (
        <FormField
          label="Choices"
          htmlFor={`${ids}-choices`}
          hint={`One per line, at most ${MAX_CHOICES}. A choice that values still use cannot be removed.`}
          error={errorOf("choices")}
        >
          <Textarea
            id={`${ids}-choices`}
            value={values.choices}
            onChange={(event) => set({ choices: event.target.value })}
            rows={5}
            data-testid="custom-field-choices"
            {...invalid("choices")}
          />
        </FormField>
      ) : null}
      {failure ? (
        <p className="text-sm text-destructive" role="alert" data-testid="custom-field-failure">
          {failure}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={pending} data-testid="custom-field-save">
          {field ? "Save" : "Define field"}
        </Button>
      </DialogFooter>
    </form>
  );
}
