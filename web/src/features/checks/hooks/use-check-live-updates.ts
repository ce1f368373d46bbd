//! Keeps agents' checks current from `check_status` events (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { CHECK_REFETCH_DELAY_MS, handleCheckLiveEvent } from "../live-cache";

/** Mounted once in the app shell. */
export function useCheckLiveUpdates(): void {
  useLiveInvalidate(handleCheckLiveEvent, CHECK_REFETCH_DELAY_MS);
}
