import { LockIcon, PlusIcon, Trash2Icon, Undo2Icon } from "lucide-react";
import type { ParameterType } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useParameterCustomFields } from "../api/scripts";
import {
  changeParameterType,
  keepsHiddenDefault,
  MAX_PARAMETERS,
  newParameterRow,
  type ParameterProblem,
  type ParameterRow,
} from "../script-form";
import { SecretInput } from "./secret-input";

const NO_DEFAULT = "__none__";
const NO_FIELD = "__none__";
const COLUMNS = "grid-cols-[minmax(0,9rem)_6.5rem_minmax(0,10rem)_4.5rem_minmax(0,8rem)_minmax(0,1fr)_2rem]";
export const SECRET_PARAMETER_HINT =
  "Secret values are passed only as environment variables, never as positional arguments, and shown only to users with the View secrets permission.";

/**
 * Rows of parameter definitions: name, type, default, required, the custom field a run takes the
 * value from on each agent when given none, description. A secret parameter's default is typed in a
 * password field; one this user cannot read is shown locked, kept unless they replace it.
 */
export function ParametersEditor({
  rows,
  onChange,
  problem,
  readOnly,
}: {
  rows: ParameterRow[];
  onChange: (rows: ParameterRow[]) => void;
  problem: ParameterProblem | null;
  readOnly?: boolean;
}) {
  const customFields = useParameterCustomFields();
  // A key may name a field of several scopes (the agent's value comes first, then its site's, its client's).
  const fieldKeys = new Map<string, string>();
  for (const field of customFields.data?.items ?? []) if (!fieldKeys.has(field.key)) fieldKeys.set(field.key, field.name);
  const update = (index: number, partial: Partial<ParameterRow>) =>
    onChange(rows.map((row, at) => (at === index ? { ...row, ...partial } : row)));
  const invalid = (index: number, field: ParameterProblem["field"]) => problem?.row === index && problem.field === field;

  return (
    <div className="grid gap-1.5" data-testid="parameters-editor">
      {rows.length > 0 ? (
        <div className={`grid ${COLUMNS} gap-1.5 text-[11px] text-muted-foreground`}>
          <span>Name</span>
          <span>Type</span>
          <span>Default</span>
          <span>Required</span>
          <span>From custom field</span>
          <span>Description</span>
          <span />
        </div>
      ) : (
        <p className="text-xs text-muted-foreground">
          No parameters. Each parameter is passed to the script as the next argument ($1, $2… in definition order) and as an environment
          variable of the same name; a secret one only as the variable.
        </p>
      )}
      {rows.map((row, index) => (
        <div key={row.key} className={`grid ${COLUMNS} items-center gap-1.5`} data-testid="parameter-row">
          <Input
            aria-label={`Parameter ${index + 1} name`}
            placeholder="Name"
            value={row.name}
            onChange={(event) => update(index, { name: event.target.value })}
            className="h-8 font-mono text-xs"
            spellCheck={false}
            disabled={readOnly}
            aria-invalid={invalid(index, "name") || undefined}
          />
          <Select
            value={row.type}
            disabled={readOnly}
            onValueChange={(value) =>
              onChange(rows.map((at, position) => (position === index ? changeParameterType(at, value as ParameterType) : at)))
            }
          >
            <SelectTrigger className="w-full" aria-label={`Parameter ${index + 1} type`}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="string">Text</SelectItem>
              <SelectItem value="number">Number</SelectItem>
              <SelectItem value="boolean">Boolean</SelectItem>
              <SelectItem value="secret">Secret</SelectItem>
            </SelectContent>
          </Select>
          {row.type === "boolean" ? (
            <Select
              value={row.default === "" ? NO_DEFAULT : row.default}
              disabled={readOnly}
              onValueChange={(value) => update(index, { default: value === NO_DEFAULT ? "" : value })}
            >
              <SelectTrigger className="w-full" aria-label={`Parameter ${index + 1} default`}>
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={NO_DEFAULT}>(none)</SelectItem>
                <SelectItem value="true">true</SelectItem>
                <SelectItem value="false">false</SelectItem>
              </SelectContent>
            </Select>
          ) : row.type === "secret" ? (
            <SecretDefault
              index={index}
              row={row}
              readOnly={readOnly}
              invalid={invalid(index, "default")}
              update={(partial) => update(index, partial)}
            />
          ) : (
            <Input
              aria-label={`Parameter ${index + 1} default`}
              placeholder="(none)"
              inputMode={row.type === "number" ? "decimal" : undefined}
              value={row.default}
              onChange={(event) => update(index, { default: event.target.value })}
              className="h-8 font-mono text-xs"
              spellCheck={false}
              disabled={readOnly}
              aria-invalid={invalid(index, "default") || undefined}
            />
          )}
          <label className="flex items-center justify-center">
            <input
              type="checkbox"
              className="size-4 accent-primary"
              checked={row.required}
              disabled={readOnly}
              onChange={(event) => update(index, { required: event.target.checked })}
              aria-label={`Parameter ${index + 1} required`}
            />
          </label>
          <Select
            value={row.customField === "" ? NO_FIELD : row.customField}
            disabled={readOnly}
            onValueChange={(value) => update(index, { customField: value === NO_FIELD ? "" : value })}
          >
            <SelectTrigger
              className="w-full"
              aria-label={`Parameter ${index + 1} from custom field`}
              title="When a run leaves it empty, each agent's value of this field (else its site's, else its client's)"
              data-testid="parameter-custom-field"
            >
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value={NO_FIELD}>(none)</SelectItem>
              {row.customField !== "" && !fieldKeys.has(row.customField) ? (
                <SelectItem value={row.customField}>{row.customField}</SelectItem>
              ) : null}
              {[...fieldKeys].map(([key, name]) => (
                <SelectItem key={key} value={key}>
                  {name} ({key})
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <Input
            aria-label={`Parameter ${index + 1} description`}
            placeholder="What to enter"
            value={row.description}
            onChange={(event) => update(index, { description: event.target.value })}
            className="h-8 text-xs"
            disabled={readOnly}
            aria-invalid={invalid(index, "description") || undefined}
          />
          <Button
            type="button"
            variant="ghost"
            size="icon-sm"
            aria-label={`Remove parameter ${index + 1}`}
            disabled={readOnly}
            onClick={() => onChange(rows.filter((_, at) => at !== index))}
          >
            <Trash2Icon />
          </Button>
        </div>
      ))}
      {rows.some((row) => row.type === "secret") ? (
        <p className="flex items-center gap-1.5 text-xs text-muted-foreground" data-testid="secret-parameter-hint">
          <LockIcon className="size-3 shrink-0" aria-hidden />
          {SECRET_PARAMETER_HINT}
        </p>
      ) : null}
      {problem ? (
        <p className="text-xs text-destructive" role="alert" data-testid="parameters-error">
          Parameter {problem.row + 1}: {problem.message}
        </p>
      ) : null}
      {!readOnly ? (
        <Button
          type="button"
          variant="outline"
          size="sm"
          className="w-fit"
          disabled={rows.length >= MAX_PARAMETERS}
          onClick={() => onChange([...rows, newParameterRow()])}
          data-testid="add-parameter-button"
        >
          <PlusIcon /> Add parameter
        </Button>
      ) : null}
    </div>
  );
}

/** A secret parameter's default: a password field, or locked when it is hidden from this user and kept. */
function SecretDefault({
  index,
  row,
  readOnly,
  invalid,
  update,
}: {
  index: number;
  row: ParameterRow;
  readOnly?: boolean;
  invalid: boolean;
  update: (partial: Partial<ParameterRow>) => void;
}) {
  if (keepsHiddenDefault(row)) {
    return (
      <span
        className="flex h-8 min-w-0 items-center gap-1 rounded-md border border-dashed px-1.5 text-[11px] text-muted-foreground"
        title="The default is set, but you need the View secrets permission to see it. Left alone, it is kept when you save."
        data-testid="hidden-default"
        aria-invalid={invalid || undefined}
      >
        <LockIcon className="size-3 shrink-0" aria-hidden />
        <span className="truncate">hidden — unchanged</span>
        {!readOnly ? (
          <button
            type="button"
            className="ml-auto shrink-0 font-medium text-primary hover:underline"
            aria-label={`Replace the default of parameter ${index + 1}`}
            onClick={() => update({ replaceHidden: true, default: "" })}
            data-testid="replace-hidden-default"
          >
            Replace
          </button>
        ) : null}
      </span>
    );
  }
  return (
    <span className="flex min-w-0 items-center gap-0.5">
      <SecretInput
        aria-label={`Parameter ${index + 1} default`}
        placeholder={row.hiddenDefault !== null ? "New default" : "(none)"}
        value={row.default}
        onChange={(event) => update({ default: event.target.value })}
        className="h-8 font-mono text-xs"
        disabled={readOnly}
        aria-invalid={invalid || undefined}
      />
      {row.hiddenDefault !== null && !readOnly ? (
        <Button
          type="button"
          variant="ghost"
          size="icon-sm"
          className="shrink-0"
          title="Keep the hidden default"
          aria-label={`Keep the hidden default of parameter ${index + 1}`}
          onClick={() => update({ replaceHidden: false, default: "" })}
          data-testid="keep-hidden-default"
        >
          <Undo2Icon />
        </Button>
      ) : null}
    </span>
  );
}
