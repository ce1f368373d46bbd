//! How live command events change the commands caches: output is placed in the cached command by
//! its byte offset, and a status change refetches the command (the final fetch brings the complete
//! stored output, so nothing is lost if events were missed) and the agent's history.
import type { QueryClient } from "@tanstack/react-query";
import type { Command } from "@/api/types";
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { CommandOutputEvent, CommandStatusEvent, LiveEvent } from "@/lib/live-events";
import { commandKeys } from "./api/commands";
import { isFinalStatus } from "./command-status";

/** Many commands finishing together (a fleet-wide script) become one history refetch per agent. */
export const COMMAND_HISTORY_REFETCH_DELAY_MS = 500;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * The stream with a chunk placed at its byte offset. A fetched snapshot may already hold the chunk
 * (or its start), so only the part past the end is added; a chunk after a gap (events were missed)
 * is left out, since the status refetch brings the stored output whole. Without an offset (an older
 * server) the chunk is appended.
 */
export function mergeOutputChunk(stream: string, data: string, offset: number | null): string {
  if (offset === null) return stream + data;
  const held = utf8.encode(stream).length;
  if (offset > held) return stream;
  const chunk = utf8.encode(data);
  const skip = held - offset;
  if (skip >= chunk.length) return stream;
  return skip === 0 ? stream + data : stream + fromUtf8.decode(chunk.subarray(skip));
}

/** Places the chunk in the cached command's stream; commands nobody has open are not cached and are skipped. */
export function applyCommandOutputEvent(queryClient: QueryClient, event: CommandOutputEvent): void {
  queryClient.setQueryData<Command>(commandKeys.detail(event.command_id), (command) => {
    // A finished command's cache holds the stored output already; a late chunk would duplicate it.
    if (!command || isFinalStatus(command.status)) return command;
    const status = command.status === "queued" ? "running" : command.status;
    return event.stream === "stdout"
      ? { ...command, status, stdout: mergeOutputChunk(command.stdout, event.data, event.offset) }
      : { ...command, status, stderr: mergeOutputChunk(command.stderr, event.data, event.offset) };
  });
}

/** Shows the new status at once; the caller then refetches the command for its timestamps and output. */
export function applyCommandStatusEvent(queryClient: QueryClient, event: CommandStatusEvent): void {
  queryClient.setQueryData<Command>(commandKeys.detail(event.command_id), (command) =>
    command ? { ...command, status: event.status, exit_code: event.exit_code ?? command.exit_code } : command,
  );
}

export function handleCommandLiveEvent(event: LiveEvent, invalidate: LiveInvalidator, queryClient: QueryClient): void {
  switch (event.type) {
    case "connected":
      invalidate.now({ queryKey: commandKeys.all });
      break;
    case "command_output":
      applyCommandOutputEvent(queryClient, event);
      break;
    case "command_status":
      applyCommandStatusEvent(queryClient, event);
      // Only the final fetch must not be skipped; an earlier one just brings started_at sooner.
      invalidate.now({ queryKey: commandKeys.detail(event.command_id), exact: true });
      invalidate.soon(`agent:${event.agent_id}`, { queryKey: commandKeys.listsOf(event.agent_id) });
      break;
    default:
      break;
  }
}
