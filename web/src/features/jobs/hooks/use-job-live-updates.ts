//! Refreshes jobs as their commands change status. A job on hundreds of agents sends hundreds of
//! events, so each job page and the jobs list refetch at most once per second.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useLiveEvent, type LiveEvent } from "@/lib/live-events";
import { jobKeys } from "../api/jobs";

export const JOB_REFETCH_THROTTLE_MS = 1_000;

/**
 * Folds a burst of command events into one refetch per job and one for the lists, run `delayMs`
 * after the first event of the burst (so the last status of the burst is included).
 */
export function createJobRefetcher(queryClient: QueryClient, delayMs: number = JOB_REFETCH_THROTTLE_MS) {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const soon = (name: string, run: () => void) => {
    if (timers.has(name)) return;
    timers.set(
      name,
      setTimeout(() => {
        timers.delete(name);
        run();
      }, delayMs),
    );
  };
  return {
    handle(event: LiveEvent): void {
      if (event.type === "connected") {
        void queryClient.invalidateQueries({ queryKey: jobKeys.all });
        return;
      }
      if (event.type !== "command_status" || !event.job_id) return;
      const jobId = event.job_id;
      soon(`job:${jobId}`, () => void queryClient.invalidateQueries({ queryKey: jobKeys.detail(jobId), exact: true }));
      soon("lists", () => void queryClient.invalidateQueries({ queryKey: jobKeys.lists }));
    },
    dispose(): void {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Mounted once in the app shell. */
export function useJobLiveUpdates(): void {
  const queryClient = useQueryClient();
  const [refetcher] = useState(() => createJobRefetcher(queryClient));
  useEffect(() => () => refetcher.dispose(), [refetcher]);
  useLiveEvent((event) => refetcher.handle(event));
}
