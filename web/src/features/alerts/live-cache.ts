//! Which alerts queries a live event makes stale. An alert event refetches the lists and the count
//! at most once a second however many alerts change (a site going down opens one per agent); the
//! alert's own detail at once, so an open detail follows it.
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { LiveEvent } from "@/lib/live-events";
import { alertKeys } from "./api/alerts";

export const ALERT_REFETCH_DELAY_MS = 1_000;

export function handleAlertLiveEvent(event: LiveEvent, invalidate: LiveInvalidator): void {
  if (event.type === "connected") {
    invalidate.now({ queryKey: alertKeys.all });
    return;
  }
  if (event.type !== "alert") return;
  invalidate.now({ queryKey: alertKeys.detail(event.alert_id), exact: true });
  invalidate.soon("lists", { queryKey: alertKeys.lists });
  invalidate.soon("count", { queryKey: alertKeys.unresolvedCount, exact: true });
}
