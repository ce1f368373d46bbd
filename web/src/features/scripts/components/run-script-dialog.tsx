import { PlayIcon } from "lucide-react";
import { useId, useState, type ReactNode } from "react";
import type { Job, Script } from "@/api/types";
import { errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useParameterCustomFields, useRunScript, useTargetAgentClient } from "../api/scripts";
import {
  buildRunRequest,
  hasHiddenDefault,
  initialParameterValues,
  positionalArguments,
  type ParameterValues,
  type RunFormResult,
  type TargetChoice,
  type VaultChoices,
  vaultClientOf,
} from "../run-form";
import { SecretInput } from "./secret-input";
import { SecretSourceSwitch, VaultEntryPicker } from "./vault-entry-picker";
import { TargetPicker } from "./target-picker";

/** Runs a script's current version on agents, a site or a client; reports the job it started. */
export function RunScriptDialog({
  script,
  trigger,
  onJobStarted,
}: {
  script: Script;
  trigger: ReactNode;
  onJobStarted: (job: Job) => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent className="sm:max-w-2xl" data-testid="run-script-dialog">
        <DialogHeader>
          <DialogTitle>Run {script.name}</DialogTitle>
          <DialogDescription>
            Version {script.current.version}. Each parameter reaches the script as an argument (in the order below: $1, $2…) and as an
            environment variable of the same name, never pasted into its code; a secret one only as the environment variable.
          </DialogDescription>
        </DialogHeader>
        {open ? (
          <RunScriptForm
            script={script}
            onStarted={(job) => {
              setOpen(false);
              onJobStarted(job);
            }}
          />
        ) : null}
      </DialogContent>
    </Dialog>
  );
}

/** The run form: parameters, targets (prefilled with `initialTarget`, e.g. the page it was opened from) and timeout. */
export function RunScriptForm({
  script,
  onStarted,
  initialTarget = { kind: "agents", agentIds: [] },
  agentNames,
}: {
  script: Script;
  onStarted: (job: Job) => void;
  initialTarget?: TargetChoice;
  /** Hostnames of agents in `initialTarget`, by id. */
  agentNames?: Record<string, string>;
}) {
  const parameters = script.current.parameters;
  const [values, setValues] = useState<ParameterValues>(() => initialParameterValues(parameters));
  const positions = positionalArguments(parameters);
  const customFields = useParameterCustomFields(parameters.some((parameter) => parameter.custom_field));
  const fieldName = (key: string) => customFields.data?.items.find((field) => field.key === key)?.name ?? key;
  const [target, setTarget] = useState<TargetChoice>(initialTarget);
  // Secret parameters taken from the vault: the picked entry by parameter name ("" until one is picked).
  const [fromVault, setFromVault] = useState<VaultChoices>({});
  const agentClient = useTargetAgentClient(
    target.kind === "agents" && Object.keys(fromVault).length > 0 ? (target.agentIds[0] ?? null) : null,
  );
  const vaultClient = vaultClientOf(target, agentClient.data ?? null);
  const [timeout, setTimeoutText] = useState("");
  const [invalid, setInvalid] = useState<Extract<RunFormResult, { ok: false }> | null>(null);
  const run = useRunScript(script.id);
  const ids = useId();

  const submit = () => {
    if (run.isPending) return;
    const result = buildRunRequest(parameters, values, target, timeout, fromVault);
    if (!result.ok) {
      setInvalid(result);
      return;
    }
    setInvalid(null);
    run.mutate(result.request, { onSuccess: onStarted });
  };
  const clear = () => {
    if (invalid) setInvalid(null);
    if (run.isError) run.reset();
  };
  const setText = (name: string, text: string) => {
    setValues((current) => ({ ...current, [name]: text }));
    clear();
  };

  return (
    <form
      className="grid gap-4"
      noValidate
      aria-label="Run script"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      {parameters.length > 0 ? (
        <fieldset className="grid gap-2">
          <legend className="mb-1 text-xs font-medium">Parameters</legend>
          {parameters.map((parameter, index) => {
            const id = `${ids}-p${index}`;
            const wrong = invalid?.field === "parameter" && invalid.parameter === parameter.name;
            const value = values[parameter.name];
            return (
              <FormField
                key={parameter.name}
                beside
                htmlFor={id}
                label={
                  <>
                    <span className="font-mono text-foreground">{parameter.name}</span>
                    {parameter.required ? (
                      <span className="font-mono text-destructive" title="Required">
                        {" "}
                        *
                      </span>
                    ) : null}
                    <span className="ml-1 text-[11px] font-normal">
                      {positions[parameter.name] ? `$${positions[parameter.name]}` : "env only"}
                    </span>
                  </>
                }
                hint={
                  parameter.custom_field ? (
                    <>
                      {parameter.description ? `${parameter.description} ` : null}
                      <span data-testid={`run-parameter-from-${parameter.name}`}>
                        Left empty: from each agent&apos;s {fieldName(parameter.custom_field)}
                        {parameter.default ? `, else ${parameter.type === "secret" ? "its default" : parameter.default}` : ""}.
                      </span>
                    </>
                  ) : (
                    parameter.description
                  )
                }
                error={
                  wrong ? (
                    <span className="text-xs text-destructive" role="alert">
                      {invalid.message}
                    </span>
                  ) : null
                }
              >
                {parameter.type === "boolean" ? (
                  <label className="flex h-8 items-center gap-2 text-xs">
                    <input
                      id={id}
                      type="checkbox"
                      className="size-4 accent-primary"
                      checked={value === true}
                      onChange={(event) => {
                        setValues((current) => ({ ...current, [parameter.name]: event.target.checked }));
                        clear();
                      }}
                      data-testid={`run-parameter-${parameter.name}`}
                    />
                    {value === true ? "true" : "false"}
                  </label>
                ) : parameter.type === "secret" ? (
                  <div className="grid gap-1">
                    <SecretSourceSwitch
                      parameter={parameter.name}
                      fromVault={parameter.name in fromVault}
                      onChange={(vault) => {
                        setFromVault(({ [parameter.name]: _, ...others }) => (vault ? { ...others, [parameter.name]: "" } : others));
                        clear();
                      }}
                    />
                    {parameter.name in fromVault ? (
                      <VaultEntryPicker
                        id={id}
                        parameter={parameter.name}
                        clientId={vaultClient}
                        value={fromVault[parameter.name] ?? ""}
                        onChange={(entryId) => {
                          setFromVault((current) => ({ ...current, [parameter.name]: entryId }));
                          clear();
                        }}
                        invalid={wrong}
                      />
                    ) : (
                      <SecretInput
                        id={id}
                        value={typeof value === "string" ? value : ""}
                        onChange={(event) => setText(parameter.name, event.target.value)}
                        placeholder={
                          parameter.custom_field
                            ? `From each agent's ${fieldName(parameter.custom_field)}`
                            : hasHiddenDefault(parameter)
                              ? "default set (hidden)"
                              : parameter.required && !parameter.default
                                ? "Required"
                                : parameter.default
                                  ? "Default"
                                  : "Optional"
                        }
                        className="font-mono text-xs"
                        aria-invalid={wrong || undefined}
                        aria-required={(parameter.required && !parameter.default) || undefined}
                        data-testid={`run-parameter-${parameter.name}`}
                      />
                    )}
                  </div>
                ) : (
                  <Input
                    id={id}
                    inputMode={parameter.type === "number" ? "decimal" : undefined}
                    value={typeof value === "string" ? value : ""}
                    onChange={(event) => setText(parameter.name, event.target.value)}
                    placeholder={
                      parameter.custom_field
                        ? `From each agent's ${fieldName(parameter.custom_field)}`
                        : parameter.type === "number"
                          ? "A number"
                          : parameter.required
                            ? "Required"
                            : "Optional"
                    }
                    className="font-mono text-xs"
                    spellCheck={false}
                    autoComplete="off"
                    aria-invalid={wrong || undefined}
                    aria-required={parameter.required || undefined}
                    data-testid={`run-parameter-${parameter.name}`}
                  />
                )}
              </FormField>
            );
          })}
        </fieldset>
      ) : (
        <p className="text-xs text-muted-foreground">This script takes no parameters.</p>
      )}
      <fieldset className="grid gap-1.5">
        <legend className="mb-1 text-xs font-medium">Run on</legend>
        <TargetPicker
          agentNames={agentNames}
          value={target}
          onChange={(next) => {
            setTarget(next);
            clear();
          }}
        />
        {invalid?.field === "targets" ? (
          <span className="text-xs text-destructive" role="alert" data-testid="run-targets-error">
            {invalid.message}
          </span>
        ) : null}
      </fieldset>
      <div className="flex items-center gap-2">
        <Label htmlFor={`${ids}-timeout`} className="text-xs text-muted-foreground">
          Timeout (s)
        </Label>
        <Input
          id={`${ids}-timeout`}
          inputMode="numeric"
          className="w-24 tabular-nums"
          placeholder={String(script.current.default_timeout_seconds)}
          value={timeout}
          onChange={(event) => {
            setTimeoutText(event.target.value);
            clear();
          }}
          aria-invalid={invalid?.field === "timeoutSeconds" || undefined}
        />
        <span className="text-[11px] text-muted-foreground">
          {invalid?.field === "timeoutSeconds" ? (
            <span className="text-destructive">{invalid.message}</span>
          ) : (
            "Empty: the script's default."
          )}
        </span>
      </div>
      {run.isError ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-2 py-1.5 text-xs text-destructive" data-testid="run-script-error">
          {errorMessage(run.error)}
        </p>
      ) : null}
      <DialogFooter>
        <Button type="submit" disabled={run.isPending} data-testid="run-script-submit">
          <PlayIcon className="fill-current" /> {run.isPending ? "Starting…" : "Run"}
        </Button>
      </DialogFooter>
    </form>
  );
}
