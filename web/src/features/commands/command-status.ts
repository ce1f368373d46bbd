//! A command's lifecycle as the server reports it. The wire type is a plain string (the server may
//! add statuses), so anything unknown is treated as "still going" and shown as it is.

export const COMMAND_STATUSES = ["queued", "running", "completed", "failed", "timeout", "cancelled", "interrupted", "expired"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

const FINAL_STATUSES: ReadonlySet<string> = new Set(["completed", "failed", "timeout", "cancelled", "interrupted", "expired"]);

/** Whether the command has ended and its output is complete. */
export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

export const COMMAND_STATUS_LABELS: Record<CommandStatus, string> = {
  queued: "Queued",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  timeout: "Timed out",
  cancelled: "Cancelled",
  interrupted: "Interrupted",
  expired: "Expired",
};

import type { Command } from "@/api/types";
import { describeRegistryCommand } from "@/lib/registry-operation";

export { COMMAND_TYPE_LABELS } from "@/lib/command-fields";

// Durations are shown by jobs too, so they live with the other formatting.
export { commandDurationMs, formatCommandDuration } from "@/lib/format";

/** The first non-empty line of a command, with "…" when more follows (for one-line summaries). */
export function commandFirstLine(text: string): string {
  const trimmed = text.trim();
  const newline = trimmed.indexOf("\n");
  return newline === -1 ? trimmed : `${trimmed.slice(0, newline).trimEnd()} …`;
}

/** A command in one line: a registry operation named in words (its text is JSON), else the first line. */
export function commandSummary(command: Pick<Command, "command_type" | "command">): string {
  return command.command_type === "registry" ? describeRegistryCommand(command.command) : commandFirstLine(command.command);
}
