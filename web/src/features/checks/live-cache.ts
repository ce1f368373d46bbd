//! How live events change the checks caches: a `check_status` patches the check's row at once
//! (state, last run) and refetches the agent's checks and histories once per burst, for the output
//! and the counters the event does not carry. An assignment or policy change elsewhere invalidates
//! the whole root (see the policies feature).
import type { QueryClient } from "@tanstack/react-query";
import type { AgentCheckList } from "@/api/types";
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { CheckStatusEvent, LiveEvent } from "@/lib/live-events";
import { checkKeys } from "./api/checks";

export const CHECK_REFETCH_DELAY_MS = 1_000;

export function applyCheckStatusEvent(queryClient: QueryClient, event: CheckStatusEvent): void {
  queryClient.setQueryData<AgentCheckList>(checkKeys.list(event.agent_id), (list) => {
    if (!list || !list.items.some((check) => check.name === event.name)) return list;
    return {
      ...list,
      items: list.items.map((check) =>
        check.name !== event.name
          ? check
          : {
              ...check,
              state: event.state,
              last_checked_at: event.checked_at,
              since: check.state === event.state ? check.since : event.checked_at,
            },
      ),
    };
  });
}

export function handleCheckLiveEvent(event: LiveEvent, invalidate: LiveInvalidator, queryClient: QueryClient): void {
  if (event.type === "connected") {
    invalidate.now({ queryKey: checkKeys.all });
    return;
  }
  if (event.type !== "check_status") return;
  applyCheckStatusEvent(queryClient, event);
  invalidate.soon(`list:${event.agent_id}`, { queryKey: checkKeys.list(event.agent_id), exact: true });
  invalidate.soon(`history:${event.agent_id}`, { queryKey: checkKeys.histories(event.agent_id) });
}
