//! Which notification queries a live event makes stale. An alert that opens, resolves or reminds
//! queues deliveries, so the delivery log refetches at most once a second after alert events; a
//! reconnect refetches it at once. (How a pending delivery ends has no event: the log polls while
//! it shows a pending one.)
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { LiveEvent } from "@/lib/live-events";
import { notificationKeys } from "./api/notifications";

export const DELIVERY_REFETCH_DELAY_MS = 1_000;

export function handleNotificationLiveEvent(event: LiveEvent, invalidate: LiveInvalidator): void {
  if (event.type === "connected") {
    invalidate.now({ queryKey: notificationKeys.deliveryLists });
    return;
  }
  if (event.type !== "alert") return;
  invalidate.soon("deliveries", { queryKey: notificationKeys.deliveryLists });
}
