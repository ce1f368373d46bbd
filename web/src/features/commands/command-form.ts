//! The run-command form's text fields turned into a `CommandSpec`, with the server's rules checked
//! first so mistakes are shown next to the field instead of after a round trip. A command prefilled
//! from one already run brings its environment's names but not values hidden from this user: those
//! must be typed again (or removed) before it runs, never sent as their placeholder.
import type { Command, CommandSpec, CommandType } from "@/api/types";
import {
  buildRunAs,
  DEFAULT_TIMEOUT_SECONDS,
  INTERPRETER_REQUIRED,
  MAX_TIMEOUT_SECONDS,
  parseTimeoutSeconds,
  type RunAsChoice,
} from "@/lib/command-fields";
import { formatEnvLines, HIDDEN_VALUE, parseEnvLines } from "@/lib/env-lines";

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
  /**
   * Variables of a prefilled command whose values were hidden from this user: left empty in `env`,
   * they must be entered again or their lines removed.
   */
  reenterEnv: string[];
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
  reenterEnv: [],
};

/**
 * The form prefilled with a command already run, to run it again with changes. Values hidden from
 * this user (`********`) come as `NAME=` lines listed in `reenterEnv`.
 */
export function commandToForm(command: Command): CommandFormValues {
  const env: Record<string, string> = {};
  const reenterEnv: string[] = [];
  for (const [name, value] of Object.entries(command.env)) {
    const hidden = command.secrets_hidden && value === HIDDEN_VALUE;
    env[name] = hidden ? "" : value;
    if (hidden) reenterEnv.push(name);
  }
  const runAs = command.run_as;
  return {
    commandType: command.command_type as CommandType,
    command: command.command,
    interpreter: command.interpreter ?? "",
    timeoutSeconds: String(command.timeout_seconds),
    runAs: runAs.context,
    username: runAs.context === "user" ? runAs.username : "",
    args: command.args.join("\n"),
    env: formatEnvLines(env),
    workingDir: command.working_dir ?? "",
    reenterEnv,
  };
}

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
  const missing = values.reenterEnv.filter((name) => env.env[name] === "");
  if (missing.length > 0) {
    return {
      ok: false,
      field: "env",
      message:
        missing.length === 1
          ? `Enter the value of ${missing[0]} again (hidden: you need the View secrets permission to see it), or remove its line.`
          : `Enter the values of ${missing.join(", ")} again (hidden: you need the View secrets permission to see them), or remove their lines.`,
    };
  }

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
