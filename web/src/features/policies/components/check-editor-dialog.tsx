//! The dialog that adds or edits one check of a policy: the common fields (name, enabled, severity,
//! interval, timeout, failures before alerting) and the typed fields of its type, checked as the
//! server checks them when saved (`../policy-form.ts`).
import { useId, useState, type ReactNode } from "react";
import type { CheckType, Severity } from "@/api/types";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { SEVERITIES, SEVERITY_LABELS } from "@/lib/monitoring";
import { useCheckScripts } from "../api/policies";
import { buildCheck, CHECK_TYPES, type CheckField, type CheckFormValues, type FieldProblem } from "../policy-form";

type FieldSpec =
  | { field: CheckField; label: string; hint?: string; kind: "text" | "number"; placeholder?: string }
  | { field: "restart_if_stopped" | "pass_if_not_installed"; label: string; hint?: string; kind: "switch" }
  | { field: "script_id"; label: string; hint?: string; kind: "script" };

const USAGE_FIELDS: FieldSpec[] = [
  { field: "max_percent", label: "Failing at (%)", kind: "number", hint: "Average at or above this fails." },
  { field: "warn_percent", label: "Warning at (%)", kind: "number", hint: "Optional; below the failing threshold." },
  { field: "window_seconds", label: "Averaged over (s)", kind: "number", hint: "10 to 3600." },
];

/** The typed fields of each check type, in the order they are shown. */
const TYPE_FIELDS: Record<CheckType, FieldSpec[]> = {
  cpu: USAGE_FIELDS,
  memory: USAGE_FIELDS,
  disk: [
    { field: "mount", label: "Mount", kind: "text", placeholder: "/ or C:\\", hint: "Empty: every fixed disk, the fullest counts." },
    { field: "max_used_percent", label: "Failing at used (%)", kind: "number" },
    { field: "warn_used_percent", label: "Warning at used (%)", kind: "number" },
    { field: "min_free_bytes", label: "Failing below free (GiB)", kind: "number", hint: "Optional; with or instead of a percentage." },
  ],
  ping: [
    { field: "host", label: "Host", kind: "text", placeholder: "10.0.0.1 or gateway.lan" },
    { field: "count", label: "Echo requests", kind: "number", hint: "1 to 10 per run." },
    { field: "max_loss_percent", label: "Failing above loss (%)", kind: "number", hint: "Empty: only when every request is lost." },
    { field: "warn_latency_ms", label: "Warning above latency (ms)", kind: "number" },
  ],
  port: [
    { field: "host", label: "Host", kind: "text", placeholder: "127.0.0.1" },
    { field: "port", label: "Port", kind: "number", placeholder: "443" },
  ],
  http: [
    { field: "url", label: "URL", kind: "text", placeholder: "https://example.com/health" },
    { field: "expect_status", label: "Expected status", kind: "number", hint: "Empty: any 2xx or 3xx." },
    { field: "keyword", label: "Body contains", kind: "text", hint: "Optional text the answer must contain." },
    { field: "min_cert_days", label: "Failing: certificate expires in fewer days", kind: "number" },
    { field: "warn_cert_days", label: "Warning: certificate expires in fewer days", kind: "number" },
  ],
  script: [
    { field: "script_id", label: "Script", kind: "script", hint: "Exit code 0 passes; anything else fails." },
    { field: "warning_exit_code", label: "Warning exit code", kind: "number", hint: "Optional: this exit code warns instead." },
  ],
  service: [
    { field: "service", label: "Service name", kind: "text", placeholder: "nginx, Spooler…", hint: "Empty: the check's name." },
    { field: "restart_if_stopped", label: "Start it when found stopped", kind: "switch" },
    { field: "pass_if_not_installed", label: "Pass when not installed", kind: "switch" },
  ],
  process: [{ field: "process", label: "Process name", kind: "text", placeholder: "sshd", hint: "Empty: the check's name." }],
};

export function CheckEditorDialog({
  initial,
  otherNames,
  serverProblem,
  onSave,
  onClose,
  extra,
}: {
  /** Fields the caller adds under the check's own (a template's description). */
  extra?: ReactNode;
  /** The check being edited, or a new one of its type; null closes the dialog. */
  initial: CheckFormValues | null;
  otherNames: readonly string[];
  /** The server's complaint about this check's field, from the last save. */
  serverProblem?: FieldProblem<CheckField> | null;
  onSave: (check: CheckFormValues) => void;
  onClose: () => void;
}) {
  return (
    <Dialog open={initial !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent className="max-h-[90svh] overflow-y-auto sm:max-w-2xl" data-testid="check-editor">
        {initial ? (
          <CheckForm
            key={initial.key}
            initial={initial}
            otherNames={otherNames}
            serverProblem={serverProblem}
            onSave={onSave}
            onCancel={onClose}
            extra={extra}
          />
        ) : null}
      </DialogContent>
    </Dialog>
  );
}

function CheckForm({
  initial,
  otherNames,
  serverProblem,
  onSave,
  onCancel,
  extra,
}: {
  extra?: ReactNode;
  initial: CheckFormValues;
  otherNames: readonly string[];
  serverProblem?: FieldProblem<CheckField> | null;
  onSave: (check: CheckFormValues) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState(initial);
  const [problem, setProblem] = useState<FieldProblem<CheckField> | null>(serverProblem ?? null);
  const ids = useId();
  const type = CHECK_TYPES.find((option) => option.type === values.type);
  const set = <K extends CheckField>(field: K, value: CheckFormValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    setProblem(null);
  };
  const fieldError = (field: CheckField) =>
    problem?.field === field ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid="check-field-error" data-field={field}>
        {problem.message}
      </p>
    ) : null;
  const invalidProps = (field: CheckField) =>
    problem?.field === field ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};
  const submit = () => {
    const result = buildCheck(values, otherNames);
    if (!result.ok) {
      setProblem(result);
      return;
    }
    onSave(values);
  };

  return (
    <form
      className="grid gap-4"
      noValidate
      aria-label="Check"
      onSubmit={(event) => {
        event.preventDefault();
        // The dialog is portalled out of the policy's form in the DOM, not in React: keep the submit here.
        event.stopPropagation();
        submit();
      }}
    >
      <DialogHeader>
        <DialogTitle>
          {initial.name ? `Check “${initial.name}”` : "New check"} · {type?.label}
        </DialogTitle>
        <DialogDescription>{type?.hint}</DialogDescription>
      </DialogHeader>
      {extra}
      <div className="grid gap-3 sm:grid-cols-2">
        <FormField
          label="Name"
          htmlFor={`${ids}-name`}
          hint="Unique in the policy; a more specific policy's check of the same name replaces it."
          error={fieldError("name")}
        >
          <Input
            id={`${ids}-name`}
            value={values.name}
            onChange={(event) => set("name", event.target.value)}
            {...invalidProps("name")}
            autoFocus
          />
        </FormField>
        <FormField
          label="Severity"
          htmlFor={`${ids}-severity`}
          hint="Of the alert when the check fails; a warning result alerts as a warning."
        >
          <Select value={values.severity} onValueChange={(severity) => set("severity", severity as Severity)}>
            <SelectTrigger id={`${ids}-severity`} className="w-full">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {SEVERITIES.map((severity) => (
                <SelectItem key={severity} value={severity}>
                  {SEVERITY_LABELS[severity]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </FormField>
        {TYPE_FIELDS[values.type].map((spec) => (
          <TypedField
            key={spec.field}
            spec={spec}
            values={values}
            set={set}
            id={`${ids}-${spec.field}`}
            error={fieldError(spec.field)}
            invalid={invalidProps(spec.field)}
          />
        ))}
      </div>
      <div className="grid gap-3 border-t pt-3 sm:grid-cols-3">
        <FormField label="Every (s)" htmlFor={`${ids}-interval`} hint="10 to 86400." error={fieldError("interval_seconds")}>
          <Input
            id={`${ids}-interval`}
            inputMode="numeric"
            value={values.interval_seconds}
            onChange={(event) => set("interval_seconds", event.target.value)}
            {...invalidProps("interval_seconds")}
          />
        </FormField>
        <FormField label="Timeout (s)" htmlFor={`${ids}-timeout`} hint="Empty: the type's default." error={fieldError("timeout_seconds")}>
          <Input
            id={`${ids}-timeout`}
            inputMode="numeric"
            value={values.timeout_seconds}
            onChange={(event) => set("timeout_seconds", event.target.value)}
            {...invalidProps("timeout_seconds")}
          />
        </FormField>
        <FormField
          label="Alert after failures"
          htmlFor={`${ids}-fail-after`}
          hint="Runs in a row, 1 to 100."
          error={fieldError("fail_after")}
        >
          <Input
            id={`${ids}-fail-after`}
            inputMode="numeric"
            value={values.fail_after}
            onChange={(event) => set("fail_after", event.target.value)}
            {...invalidProps("fail_after")}
          />
        </FormField>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <Switch
          checked={values.enabled}
          onCheckedChange={(enabled) => set("enabled", enabled)}
          aria-label="Enabled"
          data-testid="check-enabled"
        />
        Enabled
        <span className="text-xs text-muted-foreground">Off: agents skip it, and an inherited check of the same name is switched off.</span>
      </label>
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" data-testid="save-check">
          Keep check
        </Button>
      </DialogFooter>
    </form>
  );
}

function TypedField({
  spec,
  values,
  set,
  id,
  error,
  invalid,
}: {
  spec: FieldSpec;
  values: CheckFormValues;
  set: <K extends CheckField>(field: K, value: CheckFormValues[K]) => void;
  id: string;
  error: ReactNode;
  invalid: object;
}) {
  if (spec.kind === "switch") {
    return (
      <label className="flex items-center gap-2 self-end text-sm">
        <Switch checked={values[spec.field]} onCheckedChange={(checked) => set(spec.field, checked)} id={id} />
        {spec.label}
      </label>
    );
  }
  if (spec.kind === "script") {
    return (
      <FormField label={spec.label} htmlFor={id} hint={spec.hint} error={error}>
        <ScriptPicker id={id} value={values.script_id} onChange={(scriptId) => set("script_id", scriptId)} />
      </FormField>
    );
  }
  const value = values[spec.field];
  return (
    <FormField label={spec.label} htmlFor={id} hint={spec.hint} error={error}>
      <Input
        id={id}
        inputMode={spec.kind === "number" ? "decimal" : undefined}
        placeholder={spec.placeholder}
        value={typeof value === "string" ? value : ""}
        onChange={(event) => set(spec.field, event.target.value)}
        {...invalid}
      />
    </FormField>
  );
}

/** Picks a script of the library for a script check. */
function ScriptPicker({ id, value, onChange }: { id: string; value: string; onChange: (scriptId: string) => void }) {
  const scripts = useCheckScripts(true);
  const items = scripts.data?.items ?? [];
  return (
    <Select value={value} onValueChange={onChange}>
      <SelectTrigger id={id} className="w-full" data-testid="check-script-picker">
        <SelectValue
          placeholder={scripts.isPending ? "Loading scripts…" : items.length === 0 ? "The library has no script" : "Pick a script"}
        />
      </SelectTrigger>
      <SelectContent>
        {items.map((script) => (
          <SelectItem key={script.id} value={script.id}>
            {script.name}
            {script.category ? <span className="text-muted-foreground"> · {script.category}</span> : null}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}
