//! A policy's editor (`/policies/new`, `/policies/$policyId`): name, description, the settings it
//! sets (empty inherits), its checks, and where it is assigned. Mistakes are shown by their field,
//! the server's 422 included.
import { PlusIcon, ShieldIcon, Trash2Icon } from "lucide-react";
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import type { CheckType, Policy } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { FormField } from "@/components/form-field";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { SectionCard } from "@/components/section-card";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { Textarea } from "@/components/ui/textarea";
import { SeverityBadge } from "@/components/monitoring-badges";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { useCreatePolicy, useDeletePolicy, usePolicy, useUpdatePolicy } from "../api/policies";
import { NotifyRoutesCard } from "./notify-routes-card";
import { AddFromTemplateButton, TemplateChecksList } from "./template-checks";
import {
  buildPolicyRequest,
  CHECK_TYPE_LABELS,
  CHECK_TYPES,
  describeCheck,
  EMPTY_POLICY_FORM,
  newCheck,
  policyToForm,
  problemFromServer,
  type CheckFormValues,
  type PolicyField,
  type PolicyFormValues,
  type PolicyProblem,
} from "../policy-form";
import { CheckEditorDialog } from "./check-editor-dialog";
import { PolicyAssignmentsCard } from "./policy-assignments";

export function NewPolicyPage({ onCreated }: { onCreated: (policy: Policy) => void }) {
  return <PolicyEditor policy={null} onCreated={onCreated} onDeleted={() => undefined} />;
}

export function EditPolicyPage({ policyId, onDeleted }: { policyId: string; onDeleted: () => void }) {
  const policy = usePolicy(policyId);
  if (policy.isPending) return <Skeleton className="h-96" />;
  if (policy.isError) {
    if (policy.error instanceof ApiError && policy.error.status === 404) {
      return <EmptyState icon={ShieldIcon} title="This policy does not exist" data-testid="policy-not-found" />;
    }
    return <ErrorMessage error={policy.error} onRetry={() => void policy.refetch()} />;
  }
  return (
    <div className="grid gap-4">
      <PolicyEditor
        key={`${policy.data.id}-${policy.data.updated_at}`}
        policy={policy.data}
        onCreated={() => undefined}
        onDeleted={onDeleted}
      />
      <PolicyAssignmentsCard policyId={policyId} />
    </div>
  );
}

/** The check being edited: its index in the list, or null for a new one. */
interface Editing {
  index: number | null;
  values: CheckFormValues;
}

function PolicyEditor({
  policy,
  onCreated,
  onDeleted,
}: {
  policy: Policy | null;
  onCreated: (policy: Policy) => void;
  onDeleted: () => void;
}) {
  useDocumentTitle(policy ? policy.name : "New policy");
  const mayMutate = useCan("manage_policies");
  const readOnly = !mayMutate;
  const [values, setValues] = useState<PolicyFormValues>(() => (policy ? policyToForm(policy) : EMPTY_POLICY_FORM));
  const [problem, setProblem] = useState<PolicyProblem | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [dirty, setDirty] = useState(false);
  const create = useCreatePolicy();
  const update = useUpdatePolicy(policy?.id ?? "");
  const save = policy ? update : create;
  const remove = useDeletePolicy();
  const ids = useId();

  const set = <K extends keyof PolicyFormValues>(key: K, value: PolicyFormValues[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    setProblem(null);
    setDirty(true);
    if (save.isError) save.reset();
  };

  const submit = () => {
    if (save.isPending) return;
    const result = buildPolicyRequest(values);
    if (!result.ok) {
      setProblem(result);
      return;
    }
    setProblem(null);
    save.mutate(result.request, {
      onSuccess: (saved) => {
        setDirty(false);
        toast.success(policy ? "Policy saved; agents get the change within seconds." : "Policy created.");
        if (!policy) onCreated(saved);
      },
      onError: (error) => {
        if (error instanceof ApiError && error.status === 422) setProblem(problemFromServer(error.message, values.checks));
      },
    });
  };

  const fieldError = (field: PolicyField) =>
    problem?.field === field && field !== "checks" ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`policy-${field}-error`}>
        {problem.message}
      </p>
    ) : null;
  const invalidProps = (field: PolicyField) =>
    problem?.field === field ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};

  const saveCheck = (check: CheckFormValues) => {
    if (!editing) return;
    const checks = [...values.checks];
    if (editing.index === null) checks.push(check);
    else checks[editing.index] = check;
    set("checks", checks);
    setEditing(null);
  };
  const otherNames = values.checks.filter((_, index) => index !== editing?.index).map((check) => check.name.trim());

  return (
    <form
      className="grid gap-4"
      aria-label={policy ? "Edit policy" : "New policy"}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <PageHeader
        title={policy ? policy.name : "New policy"}
        description="Empty settings are inherited from less specific policies; checks merge by name."
        actions={
          mayMutate ? (
            <>
              {policy ? (
                <ConfirmDialog
                  trigger={
                    <Button type="button" variant="outline">
                      <Trash2Icon /> Delete
                    </Button>
                  }
                  title={`Delete ${policy.name}?`}
                  description="Its assignments go with it; the agents it reached stop running its checks."
                  confirmLabel="Delete policy"
                  onConfirm={async () => {
                    await remove.mutateAsync(policy.id);
                    onDeleted();
                  }}
                />
              ) : null}
              <Button type="submit" disabled={save.isPending} data-testid="save-policy">
                {policy ? "Save" : "Create policy"}
              </Button>
            </>
          ) : null
        }
      />
      {dirty && policy ? <p className="text-xs text-muted-foreground">Unsaved changes.</p> : null}
      {problem || save.isError ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="save-policy-error">
          {problem?.message ?? errorMessage(save.error)}
        </p>
      ) : null}
      <Card>
        <CardContent className="grid gap-3 pt-4 md:grid-cols-2">
          <FormField label="Name" htmlFor={`${ids}-name`} error={fieldError("name")}>
            <Input
              id={`${ids}-name`}
              value={values.name}
              onChange={(event) => set("name", event.target.value)}
              readOnly={readOnly}
              {...invalidProps("name")}
            />
          </FormField>
          <FormField label="Description" htmlFor={`${ids}-description`} error={fieldError("description")}>
            <Textarea
              id={`${ids}-description`}
              rows={1}
              value={values.description}
              onChange={(event) => set("description", event.target.value)}
              readOnly={readOnly}
              {...invalidProps("description")}
            />
          </FormField>
        </CardContent>
      </Card>
      <SectionCard title="Settings" contentClassName="grid gap-3 md:grid-cols-3">
        <SettingField
          id={`${ids}-offline`}
          label="Offline alert after (minutes)"
          hint="An agent offline this long opens an alert. 1 to 43200; empty inherits."
          value={values.offline_alert_after_minutes}
          onChange={(value) => set("offline_alert_after_minutes", value)}
          readOnly={readOnly}
          error={fieldError("offline_alert_after_minutes")}
          invalid={invalidProps("offline_alert_after_minutes")}
        />
        <SettingField
          id={`${ids}-renotify`}
          label="Remind every (minutes)"
          hint="While an alert stays open and unacknowledged; 0 for never. Empty inherits."
          value={values.renotify_minutes}
          onChange={(value) => set("renotify_minutes", value)}
          readOnly={readOnly}
          error={fieldError("renotify_minutes")}
          invalid={invalidProps("renotify_minutes")}
        />
        <SettingField
          id={`${ids}-metrics`}
          label="Metrics every (seconds)"
          hint="Telemetry interval, 5 to 3600. Empty inherits."
          value={values.metrics_interval_seconds}
          onChange={(value) => set("metrics_interval_seconds", value)}
          readOnly={readOnly}
          error={fieldError("metrics_interval_seconds")}
          invalid={invalidProps("metrics_interval_seconds")}
        />
      </SectionCard>
      <NotifyRoutesCard
        routes={values.notify ?? null}
        onChange={(routes) => set("notify", routes)}
        readOnly={readOnly}
        error={fieldError("notify")}
      />
      <SectionCard
        title="Checks"
        data-testid="policy-checks"
        actions={
          mayMutate ? (
            <div className="flex gap-2">
              <AddFromTemplateButton
                used={values.template_checks}
                onAdd={(check) => set("template_checks", [...values.template_checks, check])}
              />
              <DropdownMenu>
                <DropdownMenuTrigger asChild>
                  <Button type="button" size="sm" variant="outline" data-testid="add-check-button">
                    <PlusIcon /> Add check
                  </Button>
                </DropdownMenuTrigger>
                <DropdownMenuContent align="end">
                  {CHECK_TYPES.map(({ type, label, hint }) => (
                    <DropdownMenuItem
                      key={type}
                      onSelect={() => setEditing({ index: null, values: newCheck(type as CheckType) })}
                      data-testid={`add-check-${type}`}
                    >
                      <span className="grid">
                        <span>{label}</span>
                        <span className="text-xs text-muted-foreground">{hint}</span>
                      </span>
                    </DropdownMenuItem>
                  ))}
                </DropdownMenuContent>
              </DropdownMenu>
            </div>
          ) : null
        }
      >
        <TemplateChecksList checks={values.template_checks} readOnly={readOnly} onChange={(checks) => set("template_checks", checks)} />
        {values.checks.length === 0 && values.template_checks.length === 0 ? (
          <p className="text-sm text-muted-foreground">No check: this policy only sets the settings above.</p>
        ) : (
          <ul className="grid divide-y rounded-md border">
            {values.checks.map((check, index) => (
              <CheckRow
                key={check.key}
                check={check}
                problem={problem?.check?.index === index ? problem.check.message : null}
                readOnly={readOnly}
                onEdit={() => setEditing({ index, values: check })}
                onToggle={(enabled) =>
                  set(
                    "checks",
                    values.checks.map((other, at) => (at === index ? { ...other, enabled } : other)),
                  )
                }
                onRemove={() =>
                  set(
                    "checks",
                    values.checks.filter((_, at) => at !== index),
                  )
                }
              />
            ))}
          </ul>
        )}
      </SectionCard>
      <CheckEditorDialog
        initial={editing?.values ?? null}
        otherNames={otherNames}
        serverProblem={editing?.index !== null && editing?.index === problem?.check?.index ? problem?.check : null}
        onSave={saveCheck}
        onClose={() => setEditing(null)}
      />
    </form>
  );
}

function SettingField({
  id,
  label,
  hint,
  value,
  onChange,
  readOnly,
  error,
  invalid,
}: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  readOnly: boolean;
  error: ReactNode;
  invalid: object;
}) {
  return (
    <FormField label={label} htmlFor={id} hint={hint} error={error}>
      <Input
        id={id}
        inputMode="numeric"
        placeholder="inherit"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        readOnly={readOnly}
        {...invalid}
      />
    </FormField>
  );
}

function CheckRow({
  check,
  problem,
  readOnly,
  onEdit,
  onToggle,
  onRemove,
}: {
  check: CheckFormValues;
  problem: string | null;
  readOnly: boolean;
  onEdit: () => void;
  onToggle: (enabled: boolean) => void;
  onRemove: () => void;
}) {
  return (
    <li className="grid gap-1 px-3 py-2" data-testid="policy-check-row" data-check-name={check.name} data-enabled={check.enabled}>
      <div className="flex flex-wrap items-center gap-2 md:flex-nowrap">
        <Switch checked={check.enabled} onCheckedChange={onToggle} disabled={readOnly} aria-label={`${check.name} enabled`} />
        <button
          type="button"
          className="min-w-0 text-left font-medium [overflow-wrap:anywhere] hover:underline md:truncate"
          onClick={onEdit}
        >
          {check.name || "(no name)"}
        </button>
        <Badge variant="outline">{CHECK_TYPE_LABELS[check.type]}</Badge>
        <SeverityBadge severity={check.severity} />
        <span className="min-w-0 truncate text-xs text-muted-foreground">{describeCheck(check)}</span>
        <span className="ml-auto shrink-0 text-xs text-muted-foreground">
          every {check.interval_seconds} s · alert after {check.fail_after}
        </span>
        {readOnly ? null : (
          <Button type="button" variant="ghost" size="icon" aria-label={`Remove ${check.name}`} onClick={onRemove}>
            <Trash2Icon />
          </Button>
        )}
      </div>
      {!check.enabled ? (
        <p className="text-xs text-muted-foreground">Off: agents skip it, and it switches off an inherited check of this name.</p>
      ) : null}
      {problem ? (
        <p className="text-xs text-destructive" data-testid="policy-check-error">
          {problem}
        </p>
      ) : null}
    </li>
  );
}
