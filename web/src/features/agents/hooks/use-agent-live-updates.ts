//! Applies live events to the agents caches so status and numbers change without reloading.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { AgentDetail, AgentPage } from "@/api/types";
import { useLiveEvent, type AgentMetricsEvent, type AgentStatusEvent, type LiveEvent } from "@/lib/live-events";
import { agentKeys } from "../api/agents";
import type { AgentListSearch } from "./agent-list-search";

function laterOf(current: string | null | undefined, candidate: string | null | undefined): string | null {
  if (!candidate) return current ?? null;
  if (!current) return candidate;
  return Date.parse(candidate) > Date.parse(current) ? candidate : current;
}

/** Patches rows and details in place; returns whether any cached list contained the agent. */
export function applyAgentStatusEvent(queryClient: QueryClient, event: AgentStatusEvent): boolean {
  let seenInList = false;
  queryClient.setQueriesData<AgentPage>({ queryKey: agentKeys.lists }, (page) => {
    if (!page) return page;
    let changed = false;
    const items = page.items.map((agent) => {
      if (agent.id !== event.agent_id) return agent;
      seenInList = true;
      changed = true;
      return { ...agent, status: event.status, last_seen: laterOf(agent.last_seen, event.last_seen) };
    });
    return changed ? { ...page, items } : page;
  });
  queryClient.setQueryData<AgentDetail>(agentKeys.detail(event.agent_id), (agent) =>
    agent ? { ...agent, status: event.status, last_seen: laterOf(agent.last_seen, event.last_seen) } : agent,
  );
  return seenInList;
}

export function applyAgentMetricsEvent(queryClient: QueryClient, event: AgentMetricsEvent): void {
  const patch = <T extends AgentDetail | AgentPage["items"][number]>(agent: T): T => ({
    ...agent,
    cpu_percent: event.cpu_percent,
    memory_used_bytes: event.memory_used_bytes,
    memory_total_bytes: event.memory_total_bytes,
    last_seen: laterOf(agent.last_seen, event.collected_at),
  });
  queryClient.setQueriesData<AgentPage>({ queryKey: agentKeys.lists }, (page) => {
    if (!page || !page.items.some((agent) => agent.id === event.agent_id)) return page;
    return { ...page, items: page.items.map((agent) => (agent.id === event.agent_id ? patch(agent) : agent)) };
  });
  queryClient.setQueryData<AgentDetail>(agentKeys.detail(event.agent_id), (agent) => (agent ? patch(agent) : agent));
}

/** Mounted once in the app shell. */
export function useAgentLiveUpdates(): void {
  const queryClient = useQueryClient();
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    };
  }, []);

  // Bursts of events (a whole fleet reconnecting) become one refetch per key.
  const refetchSoon = (name: string, run: () => void, delayMs = 1500) => {
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
        // Anything may have changed while the stream was down.
        void queryClient.invalidateQueries({ queryKey: agentKeys.all });
        break;
      case "agent_status": {
        const known = applyAgentStatusEvent(queryClient, event);
        // Lists filtered by status gain or lose this agent; an unknown agent is probably newly enrolled.
        refetchSoon("lists", () => {
          void queryClient.invalidateQueries({
            queryKey: agentKeys.lists,
            predicate: (query) => !known || (query.queryKey[2] as AgentListSearch | undefined)?.status !== undefined,
          });
          void queryClient.invalidateQueries({ queryKey: ["agents", "status-count"] });
        });
        break;
      }
      case "agent_metrics":
        applyAgentMetricsEvent(queryClient, event);
        // The detail holds the latest full sample (disks, processes) and the charts hold history.
        refetchSoon(`agent:${event.agent_id}`, () => {
          void queryClient.invalidateQueries({ queryKey: agentKeys.detail(event.agent_id) });
          void queryClient.invalidateQueries({ queryKey: agentKeys.metricsOf(event.agent_id) });
        });
        break;
    }
  });
}
