//! A client's, site's or agent's custom field values, and (for those who may change data) a form
//! with an input per kind that shows the server's refusal on the field it names.
import { Link } from "@tanstack/react-router";
import { PencilIcon } from "lucide-react";
import { useId, useState } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import type { CustomField, CustomFieldScope, CustomFieldValue } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { FormField } from "@/components/form-field";
import { SectionCard } from "@/components/section-card";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { useCan, useClientScope } from "@/lib/auth";
import { useSetTargetCustomFields, useTargetCustomFields } from "../api/custom-fields";
import { buildValuesBody, valueProblemsFromServer, type ValueDrafts } from "../custom-field-form";

const NONE = "__none__";

export function CustomFieldsCard({ scope, targetId }: { scope: CustomFieldScope; targetId: string }) {
  const values = useTargetCustomFields(scope, targetId);
  const mayMutate = useCan("organize_agents");
  const scoped = useClientScope() !== null;
  const [editing, setEditing] = useState(false);
  const items = values.data?.items ?? [];
  const edit =
    mayMutate && items.length > 0 && !editing ? (
      <Button variant="outline" size="sm" onClick={() => setEditing(true)} data-testid="edit-custom-values">
        <PencilIcon /> Edit
      </Button>
    ) : null;
  return (
    <SectionCard title="Custom fields" actions={edit} data-testid="custom-fields-card">
      {values.isPending ? (
        <Skeleton className="h-16" />
      ) : values.isError ? (
        <ErrorMessage error={values.error} onRetry={() => void values.refetch()} />
      ) : items.length === 0 ? (
        <p className="text-sm text-muted-foreground">
          No {scope} field is defined. {/* Defining fields is the whole organization's users' (a field appears on every client). */}
          {scoped ? null : (
            <Link to="/custom-fields" className="text-primary hover:underline">
              Define fields
            </Link>
          )}
        </p>
      ) : editing ? (
        <ValuesForm scope={scope} targetId={targetId} items={items} onDone={() => setEditing(false)} />
      ) : (
        <dl className="grid gap-x-4 gap-y-1.5 text-sm sm:grid-cols-[12rem_minmax(0,1fr)]">
          {items.map(({ field, value }) => (
            <div key={field.id} className="contents" data-testid="custom-value" data-key={field.key}>
              <dt className="text-muted-foreground">{field.name}</dt>
              <dd className="break-words" data-testid={`custom-value-${field.key}`}>
                {value ?? <span className="text-muted-foreground">—</span>}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </SectionCard>
  );
}

function ValuesForm({
  scope,
  targetId,
  items,
  onDone,
}: {
  scope: CustomFieldScope;
  targetId: string;
  items: CustomFieldValue[];
  onDone: () => void;
}) {
  const ids = useId();
  const saved = Object.fromEntries(items.map(({ field, value }) => [field.key, value ?? null]));
  const [drafts, setDrafts] = useState<ValueDrafts>(() => Object.fromEntries(items.map(({ field, value }) => [field.key, value ?? ""])));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const save = useSetTargetCustomFields(scope, targetId);
  const fields = items.map(({ field }) => field);

  const set = (key: string, value: string) => {
    setDrafts((current) => ({ ...current, [key]: value }));
    setProblems((current) => ({ ...current, [key]: "" }));
  };

  const submit = async () => {
    setFailure(null);
    const body = buildValuesBody(fields, drafts, saved);
    if (!body.ok) return setProblems(body.problems);
    if (Object.keys(body.values).length > 0) {
      try {
        await save.mutateAsync(body.values);
        toast.success("Custom fields saved.");
      } catch (error) {
        const placed =
          error instanceof ApiError && error.status < 500
            ? valueProblemsFromServer(
                error.message,
                fields.map((field) => field.key),
              )
            : null;
        if (placed) setProblems(placed);
        else setFailure(errorMessage(error));
        return;
      }
    }
    onDone();
  };

  return (
    <form
      className="grid gap-3"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {fields.map((field) => {
        const id = `${ids}-${field.key}`;
        const problem = problems[field.key];
        const error = problem ? (
          <p className="text-xs text-destructive" id={`${id}-error`} data-testid="custom-value-error" data-key={field.key}>
            {problem}
          </p>
        ) : null;
        return (
          <FormField key={field.id} label={field.name} htmlFor={id} error={error} beside>
            <ValueInput
              id={id}
              field={field}
              value={drafts[field.key] ?? ""}
              onChange={(value) => set(field.key, value)}
              invalid={Boolean(problem)}
            />
          </FormField>
        );
      })}
      {failure ? (
        <p className="text-sm text-destructive" role="alert">
          {failure}
        </p>
      ) : null}
      <div className="flex gap-2">
        <Button type="submit" size="sm" disabled={save.isPending} data-testid="save-custom-values">
          Save
        </Button>
        <Button type="button" size="sm" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function ValueInput({
  id,
  field,
  value,
  onChange,
  invalid,
}: {
  id: string;
  field: CustomField;
  value: string;
  onChange: (value: string) => void;
  invalid: boolean;
}) {
  const aria = invalid ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {};
  const testId = `custom-input-${field.key}`;
  if (field.kind === "choice") {
    return (
      <Select value={value === "" ? NONE : value} onValueChange={(next) => onChange(next === NONE ? "" : next)}>
        <SelectTrigger id={id} className="w-full sm:w-64" data-testid={testId} {...aria}>
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={NONE}>(none)</SelectItem>
          {field.choices.map((choice) => (
            <SelectItem key={choice} value={choice}>
              {choice}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
    );
  }
  return (
    <Input
      id={id}
      type={field.kind === "date" ? "date" : "text"}
      inputMode={field.kind === "number" ? "decimal" : undefined}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      className="h-8"
      data-testid={testId}
      {...aria}
    />
  );
}
