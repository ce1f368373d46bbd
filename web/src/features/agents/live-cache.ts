//! How live events change the agents caches: rows and details are patched in place so status and
//! numbers change without reloading, and the queries an event makes stale are named for the
//! coalescing invalidator (`@/hooks/use-live-invalidate`).
import type { QueryClient } from "@tanstack/react-query";
import type { AgentDetail, AgentPage } from "@/api/types";
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { AgentMetricsEvent, AgentStatusEvent, LiveEvent } from "@/lib/live-events";
import type { AgentListSearch } from "./agent-list-search";
import { rootKeys } from "@/api/query-keys";
import { agentKeys } from "./api/agents";

/** Agent refetches wait this long, so a fleet reconnecting becomes one refetch per query. */
export const AGENT_REFETCH_DELAY_MS = 1500;

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

export function handleAgentLiveEvent(event: LiveEvent, invalidate: LiveInvalidator, queryClient: QueryClient): void {
  switch (event.type) {
    case "connected":
      // Anything may have changed while the stream was down.
      invalidate.now({ queryKey: agentKeys.all });
      break;
    case "agent_status": {
      // Lists filtered by status gain or lose this agent; an agent no list knows is probably newly enrolled.
      if (applyAgentStatusEvent(queryClient, event)) {
        invalidate.soon("lists-by-status", {
          queryKey: agentKeys.lists,
          predicate: (query) => (query.queryKey[2] as AgentListSearch | undefined)?.status !== undefined,
        });
      } else {
        invalidate.soon("lists", { queryKey: agentKeys.lists });
      }
      invalidate.soon("status-counts", { queryKey: agentKeys.statusCounts });
      break;
    }
    case "agent_changed":
      // A new, renamed, moved or deleted agent changes lists, its page, and client and site counts.
      invalidate.soon("lists", { queryKey: agentKeys.lists });
      invalidate.soon("status-counts", { queryKey: agentKeys.statusCounts });
      invalidate.soon("facets", { queryKey: agentKeys.facets });
      invalidate.soon("clients", { queryKey: rootKeys.clients });
      invalidate.soon("sites", { queryKey: rootKeys.sites });
      if (event.change === "deleted") queryClient.removeQueries({ queryKey: agentKeys.detail(event.agent_id) });
      else invalidate.soon(`detail:${event.agent_id}`, { queryKey: agentKeys.detail(event.agent_id) });
      break;
    case "agent_metrics":
      applyAgentMetricsEvent(queryClient, event);
      // The detail holds the latest full sample (disks, processes) and the charts hold history.
      invalidate.soon(`detail:${event.agent_id}`, { queryKey: agentKeys.detail(event.agent_id) });
      invalidate.soon(`metrics:${event.agent_id}`, { queryKey: agentKeys.metricsOf(event.agent_id) });
      break;
    default:
      break;
  }
}
