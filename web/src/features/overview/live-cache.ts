//! Which overview queries a live event makes stale: every agent status, alert and check state
//! changes a count. A fleet reconnecting sends thousands of events, so the overview refetches at
//! most once every two seconds.
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { LiveEvent } from "@/lib/live-events";
import { overviewKeys } from "./api/overview";

export const OVERVIEW_REFETCH_DELAY_MS = 2_000;

export function handleOverviewLiveEvent(event: LiveEvent, invalidate: LiveInvalidator): void {
  switch (event.type) {
    case "connected":
      invalidate.now({ queryKey: overviewKeys.all });
      break;
    case "agent_status":
    case "agent_changed":
    case "alert":
    case "check_status":
      invalidate.soon("overview", { queryKey: overviewKeys.all });
      break;
    default:
      break;
  }
}
