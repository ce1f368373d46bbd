//! The fields of a command to run (type, run-as, timeout, interpreter, user, the command, arguments,
//! environment, working directory), checked in the browser as the server checks them. One agent's run
//! panel and "Run command" on a selection of agents both use it, and "Edit and run" prefills it with a
//! command already run.
import { ChevronRightIcon, LockIcon, PlayIcon } from "lucide-react";
import { useId, useState } from "react";
import type { CommandSpec, CommandType } from "@/api/types";
import { errorMessage } from "@/api/errors";
import { FormField } from "@/components/form-field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { COMMAND_TYPES, RUN_AS_OPTIONS, TIMEOUT_TITLE, type RunAsChoice } from "@/lib/command-fields";
import { cn } from "@/lib/utils";
import { buildCommandSpec, EMPTY_COMMAND_FORM, type CommandFormField, type CommandFormValues } from "../command-form";

/** What to type, per command type, shown as the command box's placeholder. */
const PLACEHOLDERS: Record<string, string> = {
  shell: "df -h && uptime",
  powershell: "Get-Service | Where-Object Status -eq 'Stopped'",
  python: "import platform\nprint(platform.platform())",
  script: "#!/bin/bash\nset -euo pipefail\napt-get -s upgrade | tail -n 5",
};

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

export function CommandSpecForm({
  onRun,
  pending,
  error,
  note,
  onEdit,
  initial = EMPTY_COMMAND_FORM,
}: {
  /** Called with a command the browser found valid. */
  onRun: (spec: CommandSpec) => void;
  pending: boolean;
  /** The server's refusal of the last run, if any. */
  error: unknown;
  /** A line beside the Run button (whether the agent runs it at once). */
  note: string;
  /** Any field changed (a shown refusal is then out of date). */
  onEdit?: () => void;
  /** The fields to start from (a command already run); empty by default. */
  initial?: CommandFormValues;
}) {
  const [values, setValues] = useState<CommandFormValues>(initial);
  const [invalid, setInvalid] = useState<{ field: CommandFormField; message: string } | null>(null);
  const [advancedOpen, setAdvancedOpen] = useState(() => advancedSummary(initial) !== "");
  const ids = useId();
  const type = COMMAND_TYPES.find((option) => option.value === values.commandType) ?? COMMAND_TYPES[0]!;

  const set = <K extends keyof CommandFormValues>(key: K, value: CommandFormValues[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    if (invalid) setInvalid(null);
    onEdit?.();
  };

  const submit = () => {
    if (pending) return;
    const result = buildCommandSpec(values);
    if (!result.ok) {
      setInvalid({ field: result.field, message: result.message });
      if (result.field === "args" || result.field === "env" || result.field === "workingDir") setAdvancedOpen(true);
      return;
    }
    setInvalid(null);
    onRun(result.spec);
  };

  const fieldError = (field: CommandFormField) =>
    invalid?.field === field ? (
      <p className="text-xs text-destructive" id={`${ids}-${field}-error`} data-testid={`run-command-${field}-error`}>
        {invalid.message}
      </p>
    ) : null;
  const invalidProps = (field: CommandFormField) =>
    invalid?.field === field ? { "aria-invalid": true, "aria-describedby": `${ids}-${field}-error` } : {};

  return (
    <form
      className="grid content-start gap-2.5"
      aria-label="Run command"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
      onKeyDown={(event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          submit();
        }
      }}
    >
      <div className="grid grid-cols-[minmax(0,1fr)_minmax(0,1.4fr)_5.5rem] gap-2">
        <FormField label="Type" htmlFor={`${ids}-type`}>
          <Select value={values.commandType} onValueChange={(value) => set("commandType", value as CommandType)}>
            <SelectTrigger id={`${ids}-type`} className="w-full" data-testid="command-type-select">
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
        <FormField label="Run as" htmlFor={`${ids}-run-as`}>
          <Select value={values.runAs} onValueChange={(value) => set("runAs", value as RunAsChoice)}>
            <SelectTrigger id={`${ids}-run-as`} className="w-full" data-testid="run-as-select">
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
        <FormField label="Timeout (s)" htmlFor={`${ids}-timeout`}>
          <Input
            id={`${ids}-timeout`}
            inputMode="numeric"
            value={values.timeoutSeconds}
            onChange={(event) => set("timeoutSeconds", event.target.value)}
            className="tabular-nums"
            title={TIMEOUT_TITLE}
            {...invalidProps("timeoutSeconds")}
          />
        </FormField>
      </div>
      {fieldError("timeoutSeconds")}
      {values.commandType === "script" || values.runAs === "user" ? (
        <div className="grid grid-cols-2 gap-2">
          {values.commandType === "script" ? (
            <FormField label="Interpreter" htmlFor={`${ids}-interpreter`} error={fieldError("interpreter")}>
              <Input
                id={`${ids}-interpreter`}
                placeholder="bash, python3, pwsh…"
                value={values.interpreter}
                onChange={(event) => set("interpreter", event.target.value)}
                className="font-mono"
                spellCheck={false}
                {...invalidProps("interpreter")}
              />
            </FormField>
          ) : null}
          {values.runAs === "user" ? (
            <FormField label="Username" htmlFor={`${ids}-username`} error={fieldError("username")}>
              <Input
                id={`${ids}-username`}
                placeholder="alice or DOMAIN\alice"
                value={values.username}
                onChange={(event) => set("username", event.target.value)}
                spellCheck={false}
                autoComplete="off"
                {...invalidProps("username")}
              />
            </FormField>
          ) : null}
        </div>
      ) : null}
      <FormField
        label={values.commandType === "script" ? "Script" : "Command"}
        htmlFor={`${ids}-command`}
        hint={`Runs with ${type.hint}.`}
        error={fieldError("command")}
      >
        <Textarea
          id={`${ids}-command`}
          data-testid="command-input"
          rows={values.commandType === "script" || values.commandType === "python" ? 8 : 4}
          placeholder={PLACEHOLDERS[type.value]}
          value={values.command}
          onChange={(event) => set("command", event.target.value)}
          className="resize-y font-mono text-xs leading-relaxed"
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          {...invalidProps("command")}
        />
      </FormField>
      <div className="rounded-md border">
        <button
          type="button"
          className="flex w-full items-center gap-1 px-2 py-1.5 text-xs font-medium text-muted-foreground hover:text-foreground"
          aria-expanded={advancedOpen}
          aria-controls={`${ids}-advanced`}
          onClick={() => setAdvancedOpen((open) => !open)}
        >
          <ChevronRightIcon className={cn("size-3.5 transition-transform", advancedOpen && "rotate-90")} aria-hidden />
          Arguments, environment, working directory
          {advancedSummary(values) ? <span className="ml-auto font-normal">{advancedSummary(values)}</span> : null}
        </button>
        {advancedOpen ? (
          <div id={`${ids}-advanced`} className="grid gap-2 border-t px-2 pt-2 pb-2.5">
            <div className="grid grid-cols-2 gap-2">
              <FormField label="Arguments (one per line)" htmlFor={`${ids}-args`} error={fieldError("args")}>
                <Textarea
                  id={`${ids}-args`}
                  rows={3}
                  placeholder={"--verbose\n/var/log"}
                  value={values.args}
                  onChange={(event) => set("args", event.target.value)}
                  className="font-mono text-xs"
                  spellCheck={false}
                  {...invalidProps("args")}
                />
              </FormField>
              <FormField
                label="Environment (NAME=value per line)"
                htmlFor={`${ids}-env`}
                hint={
                  values.reenterEnv.length > 0 ? (
                    <span className="flex items-start gap-1 text-amber-800 dark:text-warning" data-testid="reenter-env-note">
                      <LockIcon className="mt-px size-3 shrink-0" aria-hidden />
                      <span>
                        The values of {values.reenterEnv.join(", ")} are hidden (you need the View secrets permission to see them): enter
                        them again after the =, or remove their lines.
                      </span>
                    </span>
                  ) : null
                }
                error={fieldError("env")}
              >
                <Textarea
                  id={`${ids}-env`}
                  rows={3}
                  placeholder={"HTTP_PROXY=http://proxy:3128\nLANG=C"}
                  value={values.env}
                  onChange={(event) => set("env", event.target.value)}
                  className="font-mono text-xs"
                  spellCheck={false}
                  {...invalidProps("env")}
                />
              </FormField>
            </div>
            <FormField label="Working directory" htmlFor={`${ids}-working-dir`} error={fieldError("workingDir")}>
              <Input
                id={`${ids}-working-dir`}
                placeholder="Default: the agent's working directory"
                value={values.workingDir}
                onChange={(event) => set("workingDir", event.target.value)}
                className="font-mono text-xs"
                spellCheck={false}
                {...invalidProps("workingDir")}
              />
            </FormField>
          </div>
        ) : null}
      </div>
      {error ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-2 py-1.5 text-xs text-destructive" data-testid="run-command-error">
          {errorMessage(error)}
        </p>
      ) : null}
      <div className="flex items-center justify-between gap-2">
        <span className="text-[11px] text-muted-foreground">{note}</span>
        <Button type="submit" disabled={pending} data-testid="run-command-button">
          <PlayIcon className="fill-current" /> {pending ? "Sending…" : "Run"}
          <kbd className="ml-1 rounded border border-primary-foreground/30 px-1 font-mono text-[10px] opacity-80">
            {isMac ? "⌘" : "Ctrl"}+↵
          </kbd>
        </Button>
      </div>
    </form>
  );
}

function advancedSummary(values: CommandFormValues): string {
  const parts = [
    values.args.trim() ? "arguments" : null,
    values.env.trim() ? "environment" : null,
    values.workingDir.trim() ? "directory" : null,
  ].filter(Boolean);
  return parts.length > 0 ? `set: ${parts.join(", ")}` : "";
}
