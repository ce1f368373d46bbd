//! Refreshes alerts as they open, change and resolve (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { ALERT_REFETCH_DELAY_MS, handleAlertLiveEvent } from "../live-cache";

/** Mounted once in the app shell. */
export function useAlertLiveUpdates(): void {
  useLiveInvalidate(handleAlertLiveEvent, ALERT_REFETCH_DELAY_MS);
}
