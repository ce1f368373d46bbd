//! The run-command form's text fields turned into a `CommandSpec`, with the server's rules checked
//! first so mistakes are shown next to the field instead of after a round trip.
import type { CommandSpec, CommandType } from "@/api/types";
import { parseEnvLines } from "@/lib/env-lines";

export { parseEnvLines, type EnvParseResult } from "@/lib/env-lines";

export const DEFAULT_TIMEOUT_SECONDS = 300;
export const MAX_TIMEOUT_SECONDS = 86_400;
const MAX_ARGS = 64;
const USERNAME = /^[A-Za-z0-9_.$\\@-]{1,64}$/;

export type RunAsChoice = "system" | "user" | "user_session";

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
    return { ok: false, field: "interpreter", message: "A script needs an interpreter, e.g. bash, python3 or pwsh." };
  }
  const timeoutText = values.timeoutSeconds.trim();
  const timeout = timeoutText === "" ? DEFAULT_TIMEOUT_SECONDS : Number(timeoutText);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
    return { ok: false, field: "timeoutSeconds", message: `Timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}.` };
  }
  const username = values.username.trim();
  if (values.runAs === "user" && !(USERNAME.test(username) && !username.startsWith("-"))) {
    return {
      ok: false,
      field: "username",
      message: username === "" ? "Enter the local user's name." : `"${username}" is not a valid user name.`,
    };
  }
  const args = parseArgLines(values.args);
  if (args.length > MAX_ARGS) return { ok: false, field: "args", message: `At most ${MAX_ARGS} arguments.` };
  const env = parseEnvLines(values.env);
  if (!env.ok) return { ok: false, field: "env", message: env.message };

  const spec: CommandSpec = {
    command_type: values.commandType,
    command: values.command,
    timeout_seconds: timeout,
    run_as:
      values.runAs === "user"
        ? { context: "user", username }
        : values.runAs === "user_session"
          ? { context: "user_session" }
          : { context: "system" },
  };
  if (values.commandType === "script") spec.interpreter = interpreter;
  if (args.length > 0) spec.args = args;
  if (Object.keys(env.env).length > 0) spec.env = env.env;
  const workingDir = values.workingDir.trim();
  if (workingDir !== "") spec.working_dir = workingDir;
  return { ok: true, spec };
}
