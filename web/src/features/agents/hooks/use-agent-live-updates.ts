//! Keeps the agents caches current from live events (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { AGENT_REFETCH_DELAY_MS, handleAgentLiveEvent } from "../live-cache";

/** Mounted once in the app shell. */
export function useAgentLiveUpdates(): void {
  useLiveInvalidate(handleAgentLiveEvent, AGENT_REFETCH_DELAY_MS);
}
