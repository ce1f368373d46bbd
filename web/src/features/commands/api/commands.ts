import { keepPreviousData, type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import { useLiveConnectionState } from "@/lib/live-events";
import type { Command, CommandSpec, RunCommandRequest } from "@/api/types";
import type { CommandHistorySearch } from "../command-history-search";
import { isFinalStatus } from "../command-status";

export const COMMANDS_PER_PAGE = 15;

export const commandKeys = {
  all: rootKeys.commands,
  listsOf: (agentId: string) => ["commands", "list", agentId] as const,
  list: (agentId: string, search: Pick<CommandHistorySearch, "cmd_status" | "cmd_q" | "cmd_page">) =>
    ["commands", "list", agentId, search] as const,
  detail: (id: string) => ["commands", "detail", id] as const,
};

/** One agent's commands, newest first, without output. */
export function useAgentCommands(agentId: string, search: CommandHistorySearch) {
  const filters = { cmd_status: search.cmd_status, cmd_q: search.cmd_q, cmd_page: search.cmd_page };
  return useQuery({
    queryKey: commandKeys.list(agentId, filters),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/agents/{id}/commands", {
          params: {
            path: { id: agentId },
            query: { status: search.cmd_status, q: search.cmd_q, page: search.cmd_page ?? 1, per_page: COMMANDS_PER_PAGE },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    // Live command_status events refresh it; the poll heals anything the stream missed.
    refetchInterval: 60_000,
  });
}

/**
 * Output fetched while a command runs is a snapshot; live chunks that arrived during the request may
 * already extend it in the cache. Keep the cached stream when it is the snapshot plus more.
 */
export function keepNewerOutput(cached: Command | undefined, fetched: Command): Command {
  if (!cached || isFinalStatus(fetched.status)) return fetched;
  const newer = (mine: string, theirs: string) => (mine.length > theirs.length && mine.startsWith(theirs) ? mine : theirs);
  return { ...fetched, stdout: newer(cached.stdout, fetched.stdout), stderr: newer(cached.stderr, fetched.stderr) };
}

/** One command with its output. Live events append output while it runs; without them, a poll does. */
export function useCommand(id: string) {
  const queryClient = useQueryClient();
  const live = useLiveConnectionState() === "open";
  return useQuery({
    queryKey: commandKeys.detail(id),
    queryFn: async () => {
      const fetched = await unwrap(api.GET("/api/v1/commands/{id}", { params: { path: { id } } }));
      return keepNewerOutput(queryClient.getQueryData<Command>(commandKeys.detail(id)), fetched);
    },
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      if (status && isFinalStatus(status)) return false;
      // Status events refetch it; a poll heals a stream that is down (reconnecting refetches too), and,
      // slower, a status event that raced the first fetch (a fast command's answer can arrive "queued"
      // after the event that it finished).
      return live ? 10_000 : 5_000;
    },
  });
}

/**
 * Caches a command the server just created and refreshes its agent's history. A fast command can
 * start, stream and finish before the creating answer arrives; its live events then found nothing
 * to update, so it is fetched again at once and the view never waits for the next poll.
 */
export function cacheNewCommand(queryClient: QueryClient, command: Command) {
  queryClient.setQueryData(commandKeys.detail(command.id), command);
  void queryClient.invalidateQueries({ queryKey: commandKeys.detail(command.id), exact: true });
  return queryClient.invalidateQueries({ queryKey: commandKeys.listsOf(command.agent_id) });
}

export function useRunCommand(agentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (spec: CommandSpec) => unwrap(api.POST("/api/v1/agents/{id}/commands", { params: { path: { id: agentId } }, body: spec })),
    onSuccess: (command) => cacheNewCommand(queryClient, command),
  });
}

export function useCancelCommand() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/commands/{id}/cancel", { params: { path: { id } } })),
    onSuccess: (command) => {
      // The answer may lack live output the cache already holds: take its state, keep the output until the refetch.
      queryClient.setQueryData<Command>(commandKeys.detail(command.id), (cached) =>
        cached
          ? {
              ...cached,
              status: command.status,
              cancel_requested: command.cancel_requested,
              exit_code: command.exit_code,
              error: command.error,
              finished_at: command.finished_at,
            }
          : command,
      );
      void queryClient.invalidateQueries({ queryKey: commandKeys.detail(command.id) });
      return queryClient.invalidateQueries({ queryKey: commandKeys.listsOf(command.agent_id) });
    },
    onError: (_error, id) => queryClient.invalidateQueries({ queryKey: commandKeys.detail(id) }),
  });
}

/** Runs a command again on its agent, as a new command (same code or script version, arguments, run-as, timeout). */
export function useRerunCommand() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/commands/{id}/rerun", { params: { path: { id } } })),
    onSuccess: (command) => cacheNewCommand(queryClient, command),
  });
}

/** One command on many agents, as a job (`POST /api/v1/jobs`); the job page shows each agent's progress. */
export function useRunCommandJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: RunCommandRequest) => unwrap(api.POST("/api/v1/jobs", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: rootKeys.jobs }),
  });
}
