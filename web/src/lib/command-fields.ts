//! What running code on an agent asks for, the same in the run-command form and in a script's
//! defaults: the command type, the account to run as (with the server's user name rule) and the
//! timeout limits.
import type { CommandType, RunAs } from "@/api/types";

export const DEFAULT_TIMEOUT_SECONDS = 300;
export const MAX_TIMEOUT_SECONDS = 86_400;
/** The hint next to a timeout field. */
export const TIMEOUT_TITLE = `1 to ${MAX_TIMEOUT_SECONDS} seconds; the process tree is killed after it`;

export const COMMAND_TYPE_LABELS: Record<string, string> = {
  shell: "Shell",
  powershell: "PowerShell",
  python: "Python",
  script: "Script",
  registry: "Registry",
};

/** Each type with how the agent runs it. */
export const COMMAND_TYPES: { value: CommandType; label: string; hint: string }[] = [
  { value: "shell", label: "Shell", hint: "/bin/sh -c on Linux and macOS, cmd /C on Windows" },
  { value: "powershell", label: "PowerShell", hint: "pwsh or Windows PowerShell, -NoProfile -NonInteractive" },
  { value: "python", label: "Python", hint: "python3 -c (python on Windows)" },
  { value: "script", label: "Script", hint: "the body is written to a private temporary file and run by the interpreter" },
];

export const INTERPRETER_REQUIRED = "A script needs an interpreter, e.g. bash, python3 or pwsh.";

export type RunAsChoice = RunAs["context"];

export const RUN_AS_OPTIONS: { value: RunAsChoice; label: string }[] = [
  { value: "system", label: "System (agent's account)" },
  { value: "user", label: "Local user…" },
  { value: "user_session", label: "Logged-in user session (Windows)" },
];

const USERNAME = /^[A-Za-z0-9_.$\\@-]{1,64}$/;

/** The `run_as` to send, or why the user name is refused (as the server checks it). */
export function buildRunAs(choice: RunAsChoice, usernameText: string): { ok: true; runAs: RunAs } | { ok: false; message: string } {
  if (choice === "system") return { ok: true, runAs: { context: "system" } };
  if (choice === "user_session") return { ok: true, runAs: { context: "user_session" } };
  const username = usernameText.trim();
  if (USERNAME.test(username) && !username.startsWith("-")) return { ok: true, runAs: { context: "user", username } };
  return { ok: false, message: username === "" ? "Enter the local user's name." : `"${username}" is not a valid user name.` };
}

/** A timeout in whole seconds within the server's limits (empty text means `whenEmpty`), or null. */
export function parseTimeoutSeconds(text: string, whenEmpty: number = DEFAULT_TIMEOUT_SECONDS): number | null {
  const trimmed = text.trim();
  const timeout = trimmed === "" ? whenEmpty : Number(trimmed);
  return Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_TIMEOUT_SECONDS ? timeout : null;
}
