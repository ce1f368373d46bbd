import { Link } from "@tanstack/react-router";
import { ChevronLeftIcon, PlayIcon, SaveIcon, Trash2Icon } from "lucide-react";
import { useId, useState } from "react";
import { toast } from "sonner";
import type { CommandType, Job, Script } from "@/api/types";
import { errorMessage } from "@/api/errors";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorMessage } from "@/components/error-message";
import { FormField } from "@/components/form-field";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Textarea } from "@/components/ui/textarea";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { COMMAND_TYPES, RUN_AS_OPTIONS, TIMEOUT_TITLE, type RunAsChoice } from "@/lib/command-fields";
import { useCreateScript, useDeleteScript, useScript, useScriptCategories, useUpdateScript } from "../api/scripts";
import {
  buildScriptRequest,
  EMPTY_SCRIPT_FORM,
  scriptToForm,
  validateParameterRows,
  type ParameterProblem,
  type ScriptFormField,
  type ScriptFormResult,
  type ScriptFormValues,
} from "../script-form";
import { CodeEditor, codeLanguage } from "./code-editor";
import { HiddenEnvEditor } from "./hidden-env-editor";
import { ParametersEditor } from "./parameters-editor";
import { RunScriptDialog } from "./run-script-dialog";
import { ScriptVersionsCard } from "./script-versions-card";

/** Creates a script (no id) or edits one, with its versions and a Run button. */
export function ScriptEditorPage({
  scriptId,
  onCreated,
  onDeleted,
  onJobStarted,
}: {
  scriptId?: string;
  onCreated: (script: Script) => void;
  onDeleted: () => void;
  onJobStarted: (job: Job) => void;
}) {
  if (!scriptId) return <ScriptEditor script={null} onCreated={onCreated} onDeleted={onDeleted} onJobStarted={onJobStarted} />;
  return <ExistingScriptEditor scriptId={scriptId} onCreated={onCreated} onDeleted={onDeleted} onJobStarted={onJobStarted} />;
}

function ExistingScriptEditor({
  scriptId,
  ...callbacks
}: {
  scriptId: string;
  onCreated: (script: Script) => void;
  onDeleted: () => void;
  onJobStarted: (job: Job) => void;
}) {
  const script = useScript(scriptId);
  // A restored version replaces the form's contents: the editor starts again from the script.
  const [restores, setRestores] = useState(0);
  if (script.isPending) return <Skeleton className="h-96" />;
  if (script.isError) return <ErrorMessage error={script.error} onRetry={() => void script.refetch()} />;
  return (
    <div className="grid gap-4">
      <ScriptEditor key={`${script.data.id}-${restores}`} script={script.data} {...callbacks} />
      <ScriptVersionsCard scriptId={scriptId} onRestored={() => setRestores((count) => count + 1)} />
    </div>
  );
}

function ScriptEditor({
  script,
  onCreated,
  onDeleted,
  onJobStarted,
}: {
  script: Script | null;
  onCreated: (script: Script) => void;
  onDeleted: () => void;
  onJobStarted: (job: Job) => void;
}) {
  useDocumentTitle(script ? script.name : "New script");
  const mayMutate = useCan("edit_scripts");
  const [values, setValues] = useState<ScriptFormValues>(() => (script ? scriptToForm(script) : EMPTY_SCRIPT_FORM));
  const [invalid, setInvalid] = useState<Extract<ScriptFormResult, { ok: false }> | null>(null);
  const [savedVersion, setSavedVersion] = useState<number | null>(null);
  const create = useCreateScript();
  const update = useUpdateScript(script?.id ?? "");
  const save = script ? update : create;
  const remove = useDeleteScript();
  const categories = useScriptCategories();
  const ids = useId();
  const type = COMMAND_TYPES.find((option) => option.value === values.commandType) ?? COMMAND_TYPES[0];

  const set = <K extends keyof ScriptFormValues>(key: K, value: ScriptFormValues[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    if (invalid) setInvalid(null);
    if (save.isError) save.reset();
    setSavedVersion(null);
  };

  const submit = () => {
    if (save.isPending) return;
    const result = buildScriptRequest(values);
    if (!result.ok) {
      setInvalid(result);
      return;
    }
    setInvalid(null);
    save.mutate(result.request, {
      onSuccess: (saved) => {
        setSavedVersion(saved.current.version);
        toast.success(
          script && saved.current.version === script.current.version
            ? `Saved; the code did not change, still version ${saved.current.version}.`
            : `Saved as version ${saved.current.version}.`,
        );
        if (!script) onCreated(saved);
      },
    });
  };

  const fieldError = (field: ScriptFormField) =>
    invalid?.field === field && field !== "parameters" ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`script-${field}-error`}>
        {invalid.message}
      </p>
    ) : null;
  const invalidProps = (field: ScriptFormField) =>
    invalid?.field === field ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};
  const readOnly = !mayMutate;

  return (
    <form
      className="grid gap-4"
      aria-label={script ? "Edit script" : "New script"}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
      onKeyDown={(event) => {
        if (event.key === "s" && (event.ctrlKey || event.metaKey) && !readOnly) {
          event.preventDefault();
          submit();
        }
      }}
    >
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            {script ? script.name : "New script"}
            {script ? (
              <Badge variant="secondary" data-testid="script-version">
                v{savedVersion ?? script.current.version}
              </Badge>
            ) : null}
          </span>
        }
        description={
          script ? (
            <>
              Version {script.current.version} by {script.current.created_by_email}, <RelativeTime value={script.current.created_at} />
            </>
          ) : (
            "Write the script once; run it on any agent, site or client with parameters."
          )
        }
        actions={
          <>
            {script && mayMutate ? (
              <>
                <ConfirmDialog
                  trigger={
                    <Button type="button" variant="outline" data-testid="delete-script-button">
                      <Trash2Icon /> Delete
                    </Button>
                  }
                  title={`Delete ${script.name}?`}
                  description="The script and its versions leave the library. Jobs already run keep their results."
                  confirmLabel="Delete script"
                  onConfirm={async () => {
                    await remove.mutateAsync(script.id);
                    onDeleted();
                  }}
                />
                <RunScriptDialog
                  script={script}
                  onJobStarted={onJobStarted}
                  trigger={
                    <Button type="button" variant="outline" data-testid="run-script-button">
                      <PlayIcon className="fill-current" /> Run
                    </Button>
                  }
                />
              </>
            ) : null}
            {mayMutate ? (
              <Button type="submit" disabled={save.isPending} title="Ctrl+S / ⌘S" data-testid="save-script-button">
                <SaveIcon /> {save.isPending ? "Saving…" : script ? "Save" : "Create script"}
              </Button>
            ) : null}
          </>
        }
      >
        <Link to="/scripts" className="mb-1 flex w-fit items-center gap-1 text-xs text-muted-foreground hover:text-foreground">
          <ChevronLeftIcon className="size-3" /> Scripts
        </Link>
      </PageHeader>
      {save.isError ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="save-script-error">
          {errorMessage(save.error)}
        </p>
      ) : null}
      {savedVersion !== null ? (
        <p className="text-xs text-success" role="status" data-testid="script-saved">
          Saved: version {savedVersion}.
        </p>
      ) : null}
      <Card>
        <CardContent className="grid gap-3 pt-3">
          <div className="grid gap-2 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_minmax(0,1fr)_minmax(0,1fr)]">
            <FormField label="Name" htmlFor={`${ids}-name`} error={fieldError("name")}>
              <Input
                id={`${ids}-name`}
                value={values.name}
                onChange={(event) => set("name", event.target.value)}
                placeholder="Restart print spooler"
                disabled={readOnly}
                data-testid="script-name-input"
                {...invalidProps("name")}
              />
            </FormField>
            <FormField label="Category" htmlFor={`${ids}-category`} error={fieldError("category")}>
              <Input
                id={`${ids}-category`}
                list={`${ids}-categories`}
                value={values.category}
                onChange={(event) => set("category", event.target.value)}
                placeholder="Maintenance"
                disabled={readOnly}
                {...invalidProps("category")}
              />
              <datalist id={`${ids}-categories`}>
                {(categories.data ?? []).map((category) => (
                  <option key={category} value={category} />
                ))}
              </datalist>
            </FormField>
            <FormField label="Type" htmlFor={`${ids}-type`}>
              <Select value={values.commandType} disabled={readOnly} onValueChange={(value) => set("commandType", value as CommandType)}>
                <SelectTrigger id={`${ids}-type`} className="w-full" data-testid="script-type-select">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {COMMAND_TYPES.map((option) => (
                    <SelectItem key={option.value} value={option.value}>
                      {option.label}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            </FormField>
            {values.commandType === "script" ? (
              <FormField label="Interpreter" htmlFor={`${ids}-interpreter`} error={fieldError("interpreter")}>
                <Input
                  id={`${ids}-interpreter`}
                  value={values.interpreter}
                  onChange={(event) => set("interpreter", event.target.value)}
                  placeholder="bash, python3, pwsh…"
                  className="font-mono"
                  spellCheck={false}
                  disabled={readOnly}
                  data-testid="script-interpreter-input"
                  {...invalidProps("interpreter")}
                />
              </FormField>
            ) : (
              <div />
            )}
          </div>
          <FormField label="Description" htmlFor={`${ids}-description`}>
            <Textarea
              id={`${ids}-description`}
              rows={2}
              value={values.description}
              onChange={(event) => set("description", event.target.value)}
              placeholder="What it does, and what to check before running it."
              disabled={readOnly}
            />
          </FormField>
          <FormField label={`Code (${type?.hint ?? ""})`} htmlFor={`${ids}-body`} error={fieldError("body")}>
            <CodeEditor
              id={`${ids}-body`}
              ariaLabel="Script code"
              value={values.body}
              onChange={(body) => set("body", body)}
              language={codeLanguage(values.commandType, values.interpreter)}
              readOnly={readOnly}
              height="340px"
            />
          </FormField>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Parameters</CardTitle>
          <CardDescription>
            Values reach the script as arguments in this order ($1, $2…) and as environment variables of the same name; secret ones only as
            environment variables.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <ParametersEditor
            rows={values.parameters}
            onChange={(rows) => set("parameters", rows)}
            problem={invalid?.parameter ?? typingProblem(values.parameters)}
            readOnly={readOnly}
          />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Defaults</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
          <FormField
            label={values.hiddenEnv.length > 0 ? "Environment (more variables: NAME=value per line)" : "Environment (NAME=value per line)"}
            htmlFor={`${ids}-env`}
            error={fieldError("env")}
          >
            <HiddenEnvEditor variables={values.hiddenEnv} onChange={(hiddenEnv) => set("hiddenEnv", hiddenEnv)} readOnly={readOnly} />
            <Textarea
              id={`${ids}-env`}
              rows={3}
              value={values.env}
              onChange={(event) => set("env", event.target.value)}
              placeholder={"LANG=C\nHTTP_PROXY=http://proxy:3128"}
              className="font-mono text-xs"
              spellCheck={false}
              disabled={readOnly}
              {...invalidProps("env")}
            />
          </FormField>
          <div className="grid content-start gap-2">
            <FormField label="Timeout (s)" htmlFor={`${ids}-timeout`} error={fieldError("timeoutSeconds")}>
              <Input
                id={`${ids}-timeout`}
                inputMode="numeric"
                value={values.timeoutSeconds}
                onChange={(event) => set("timeoutSeconds", event.target.value)}
                className="tabular-nums"
                title={TIMEOUT_TITLE}
                disabled={readOnly}
                {...invalidProps("timeoutSeconds")}
              />
            </FormField>
            <FormField label="Run as" htmlFor={`${ids}-run-as`}>
              <Select value={values.runAs} disabled={readOnly} onValueChange={(value) => set("runAs", value as RunAsChoice)}>
                <SelectTrigger id={`${ids}-run-as`} className="w-full">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {RUN_AS_OPTIONS.map((option) => (
                    <SelectItem key={option.value} value={option.value}>
                      {option.label}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            </FormField>
            {values.runAs === "user" ? (
              <FormField label="Username" htmlFor={`${ids}-username`} error={fieldError("username")}>
                <Input
                  id={`${ids}-username`}
                  value={values.username}
                  onChange={(event) => set("username", event.target.value)}
                  placeholder="alice or DOMAIN\alice"
                  spellCheck={false}
                  autoComplete="off"
                  disabled={readOnly}
                  {...invalidProps("username")}
                />
              </FormField>
            ) : null}
          </div>
        </CardContent>
      </Card>
    </form>
  );
}

/** A parameter mistake worth showing while typing; a row still without a name waits for Save. */
function typingProblem(rows: ScriptFormValues["parameters"]): ParameterProblem | null {
  const problem = validateParameterRows(rows);
  return problem && rows[problem.row]?.name.trim() !== "" ? problem : null;
}
