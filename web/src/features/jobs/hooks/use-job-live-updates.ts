//! Refreshes jobs as their commands change status (see `../live-cache.ts`).
import { useLiveInvalidate } from "@/hooks/use-live-invalidate";
import { handleJobLiveEvent, JOB_REFETCH_DELAY_MS } from "../live-cache";

/** Mounted once in the app shell. */
export function useJobLiveUpdates(): void {
  useLiveInvalidate(handleJobLiveEvent, JOB_REFETCH_DELAY_MS);
}
