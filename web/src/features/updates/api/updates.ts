//! Agent self-updates: one agent's attempts and watchdog reports, "update now", and the signed
//! releases the server publishes. An attempt under way is polled until it ends; there is no live
//! event for update reports.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";
import type { AgentUpdate, AgentUpdates } from "@/api/types";
import { isUpdateUnderWay } from "../update-wording";

/** How often an attempt under way is read again. */
export const UPDATE_POLL_MS = 3000;

export const updateKeys = {
  all: rootKeys.updates,
  agent: (agentId: string) => ["updates", "agent", agentId] as const,
  releases: ["updates", "releases"] as const,
};

/**
 * The agent's attempts and watchdog events, newest first, read again every few seconds while an
 * attempt is under way. When one ends the agent's own data is refreshed too: an installed update
 * (or a rollback) changes the version the agent page shows.
 */
export function useAgentUpdates(agentId: string) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: updateKeys.agent(agentId),
    queryFn: () => unwrap(api.GET("/api/v1/agents/{id}/updates", { params: { path: { id: agentId } } })),
    refetchInterval: (current) => (current.state.data?.updates.some((update) => isUpdateUnderWay(update.state)) ? UPDATE_POLL_MS : false),
  });
  const underWay = useRef(new Set<string>());
  useEffect(() => {
    let ended = false;
    for (const update of query.data?.updates ?? []) {
      if (isUpdateUnderWay(update.state)) underWay.current.add(update.id);
      else if (underWay.current.delete(update.id)) ended = true;
    }
    if (ended) void queryClient.invalidateQueries({ queryKey: rootKeys.agents });
  }, [query.data, queryClient]);
  return query;
}

/** "Update now": the attempt is shown at once and followed by [`useAgentUpdates`]. */
export function useRequestAgentUpdate(agentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (version: string) =>
      unwrap(api.POST("/api/v1/agents/{id}/update", { params: { path: { id: agentId } }, body: { version } })),
    onSuccess: (update: AgentUpdate) => {
      queryClient.setQueryData<AgentUpdates>(updateKeys.agent(agentId), (previous) =>
        previous ? { ...previous, updates: [update, ...previous.updates.filter((other) => other.id !== update.id)] } : previous,
      );
      void queryClient.invalidateQueries({ queryKey: updateKeys.agent(agentId) });
    },
    // A 409 may mean someone else started an attempt meanwhile: show it.
    onError: () => void queryClient.invalidateQueries({ queryKey: updateKeys.agent(agentId) }),
  });
}

/** The signed releases the server publishes (only read when `enabled`). */
export function useAgentReleases() {
  return useQuery({
    queryKey: updateKeys.releases,
    queryFn: () => unwrap(api.GET("/api/v1/agent-releases")),
    staleTime: 60_000,
  });
}
