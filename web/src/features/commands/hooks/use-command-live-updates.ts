//! Applies live command events: output is appended to the cached command as it arrives, and a
//! status change refetches the command (the final fetch brings the complete stored output, so
//! nothing is lost if events were missed) and the agent's history.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { Command } from "@/api/types";
import { useLiveEvent, type CommandOutputEvent, type CommandStatusEvent, type LiveEvent } from "@/lib/live-events";
import { commandKeys } from "../api/commands";
import { isFinalStatus } from "./command-status";

/** Appends the chunk to the cached command's stream; commands nobody has open are not cached and are skipped. */
export function applyCommandOutputEvent(queryClient: QueryClient, event: CommandOutputEvent): void {
  queryClient.setQueryData<Command>(commandKeys.detail(event.command_id), (command) => {
    // A finished command's cache holds the stored output already; a late chunk would duplicate it.
    if (!command || isFinalStatus(command.status)) return command;
    const status = command.status === "queued" ? "running" : command.status;
    return event.stream === "stdout"
      ? { ...command, status, stdout: command.stdout + event.data }
      : { ...command, status, stderr: command.stderr + event.data };
  });
}

/** Shows the new status at once; the caller then refetches the command for its timestamps and output. */
export function applyCommandStatusEvent(queryClient: QueryClient, event: CommandStatusEvent): void {
  queryClient.setQueryData<Command>(commandKeys.detail(event.command_id), (command) =>
    command ? { ...command, status: event.status, exit_code: event.exit_code ?? command.exit_code } : command,
  );
}

/** Mounted once in the app shell. */
export function useCommandLiveUpdates(): void {
  const queryClient = useQueryClient();
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    };
  }, []);

  // Many commands finishing together (a fleet-wide script) become one history refetch per agent.
  const refetchSoon = (name: string, run: () => void, delayMs = 500) => {
    if (timers.current.has(name)) return;
    timers.current.set(
      name,
      setTimeout(() => {
        timers.current.delete(name);
        run();
      }, delayMs),
    );
  };

  useLiveEvent((event: LiveEvent) => {
    switch (event.type) {
      case "connected":
        void queryClient.invalidateQueries({ queryKey: commandKeys.all });
        break;
      case "command_output":
        applyCommandOutputEvent(queryClient, event);
        break;
      case "command_status":
        applyCommandStatusEvent(queryClient, event);
        // Only the final fetch must not be skipped; an earlier one just brings started_at sooner.
        void queryClient.invalidateQueries({ queryKey: commandKeys.detail(event.command_id), exact: true });
        refetchSoon(`agent:${event.agent_id}`, () => void queryClient.invalidateQueries({ queryKey: commandKeys.listsOf(event.agent_id) }));
        break;
      default:
        break;
    }
  });
}
