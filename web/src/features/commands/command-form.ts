//! The run-command form's text fields turned into a `CommandSpec`, with the server's rules checked
//! first so mistakes are shown next to the field instead of after a round trip.
import type { CommandSpec, CommandType } from "@/api/types";
import {
  buildRunAs,
  DEFAULT_TIMEOUT_SECONDS,
  INTERPRETER_REQUIRED,
  MAX_TIMEOUT_SECONDS,
  parseTimeoutSeconds,
  type RunAsChoice,
} from "@/lib/command-fields";
import { parseEnvLines } from "@/lib/env-lines";

export { parseEnvLines, type EnvParseResult } from "@/lib/env-lines";

const MAX_ARGS = 64;

export interface CommandFormValues {
  commandType: CommandType;
  command: string;
  interpreter: string;
  timeoutSeconds: string;
  runAs: RunAsChoice;
  username: string;
  /** One argument per line. */
  args: string;
  /** One `NAME=value` per line. */
  env: string;
  workingDir: string;
}

export const EMPTY_COMMAND_FORM: CommandFormValues = {
  commandType: "shell",
  command: "",
  interpreter: "",
  timeoutSeconds: String(DEFAULT_TIMEOUT_SECONDS),
  runAs: "system",
  username: "",
  args: "",
  env: "",
  workingDir: "",
};

export type CommandFormField = "command" | "interpreter" | "timeoutSeconds" | "username" | "args" | "env" | "workingDir";

export type CommandFormResult = { ok: true; spec: CommandSpec } | { ok: false; field: CommandFormField; message: string };

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

/**
 * One argument per line, passed as-is (spaces and quotes included, since arguments are never
 * spliced into a command line). Blank lines are skipped.
 */
export function parseArgLines(text: string): string[] {
  return lines(text).filter((line) => line.trim() !== "");
}

/** Validates the form and builds the request body; optional fields are left out when empty. */
export function buildCommandSpec(values: CommandFormValues): CommandFormResult {
  if (values.command.trim() === "") {
    return { ok: false, field: "command", message: values.commandType === "script" ? "Write the script to run." : "Enter a command." };
  }
  const interpreter = values.interpreter.trim();
  if (values.commandType === "script" && interpreter === "") {
    return { ok: false, field: "interpreter", message: INTERPRETER_REQUIRED };
  }
  const timeout = parseTimeoutSeconds(values.timeoutSeconds);
  if (timeout === null) {
    return { ok: false, field: "timeoutSeconds", message: `Timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}.` };
  }
  const runAs = buildRunAs(values.runAs, values.username);
  if (!runAs.ok) return { ok: false, field: "username", message: runAs.message };
  const args = parseArgLines(values.args);
  if (args.length > MAX_ARGS) return { ok: false, field: "args", message: `At most ${MAX_ARGS} arguments.` };
  const env = parseEnvLines(values.env);
  if (!env.ok) return { ok: false, field: "env", message: env.message };

  const spec: CommandSpec = {
    command_type: values.commandType,
    command: values.command,
    timeout_seconds: timeout,
    run_as: runAs.runAs,
  };
  if (values.commandType === "script") spec.interpreter = interpreter;
  if (args.length > 0) spec.args = args;
  if (Object.keys(env.env).length > 0) spec.env = env.env;
  const workingDir = values.workingDir.trim();
  if (workingDir !== "") spec.working_dir = workingDir;
  return { ok: true, spec };
}
