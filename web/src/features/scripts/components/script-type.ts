//! The script types as the editor and list name them.
import type { CommandType } from "@/api/types";

export const SCRIPT_TYPE_LABELS: Record<string, string> = {
  shell: "Shell",
  powershell: "PowerShell",
  python: "Python",
  script: "Script",
};

export const SCRIPT_TYPES: { value: CommandType; label: string; hint: string }[] = [
  { value: "shell", label: "Shell", hint: "/bin/sh -c on Linux and macOS, cmd /C on Windows" },
  { value: "powershell", label: "PowerShell", hint: "pwsh or Windows PowerShell, -NoProfile -NonInteractive" },
  { value: "python", label: "Python", hint: "python3 -c (python on Windows)" },
  { value: "script", label: "Script", hint: "the body is written to a private temporary file and run by the interpreter" },
];
