//! Refreshes the delivery log as alerts queue notifications (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { DELIVERY_REFETCH_DELAY_MS, handleNotificationLiveEvent } from "../live-cache";

/** Mounted by the delivery log. */
export function useDeliveryLiveUpdates(): void {
  useLiveInvalidate(handleNotificationLiveEvent, DELIVERY_REFETCH_DELAY_MS);
}
