//! Keeps the commands caches current from live events (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { COMMAND_HISTORY_REFETCH_DELAY_MS, handleCommandLiveEvent } from "../live-cache";

/** Mounted once in the app shell. */
export function useCommandLiveUpdates(): void {
  useLiveInvalidate(handleCommandLiveEvent, COMMAND_HISTORY_REFETCH_DELAY_MS);
}
