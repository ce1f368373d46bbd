//! Refreshes the fleet's checks as checks change state (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { FLEET_CHECK_REFETCH_DELAY_MS, handleFleetCheckLiveEvent } from "../live-cache";

/** Mounted once in the app shell. */
export function useFleetCheckLiveUpdates(): void {
  useLiveInvalidate(handleFleetCheckLiveEvent, FLEET_CHECK_REFETCH_DELAY_MS);
}
