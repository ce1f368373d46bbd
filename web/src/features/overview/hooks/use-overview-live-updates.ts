//! Refreshes the fleet overview as agents, alerts and checks change (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { handleOverviewLiveEvent, OVERVIEW_REFETCH_DELAY_MS } from "../live-cache";

/** Mounted once in the app shell. */
export function useOverviewLiveUpdates(): void {
  useLiveInvalidate(handleOverviewLiveEvent, OVERVIEW_REFETCH_DELAY_MS);
}
