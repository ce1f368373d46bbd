//! Refreshes jobs as their commands change status. A job on hundreds of agents sends hundreds of
//! events, so each job page and the jobs list refetch at most once per second.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useLiveEvent, type LiveEvent } from "@/lib/live-events";
import { jobKeys } from "../api/jobs";

export const JOB_REFETCH_THROTTLE_MS = 1_000;

/** Mounted once in the app shell. */
export function useJobLiveUpdates(): void {
  const queryClient = useQueryClient();
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    };
  }, []);

  const refetchSoon = (name: string, run: () => void) => {
    if (timers.current.has(name)) return;
    timers.current.set(
      name,
      setTimeout(() => {
        timers.current.delete(name);
        run();
      }, JOB_REFETCH_THROTTLE_MS),
    );
  };

  useLiveEvent((event: LiveEvent) => {
    if (event.type === "connected") {
      void queryClient.invalidateQueries({ queryKey: jobKeys.all });
      return;
    }
    if (event.type !== "command_status" || !event.job_id) return;
    const jobId = event.job_id;
    refetchSoon(`job:${jobId}`, () => void queryClient.invalidateQueries({ queryKey: jobKeys.detail(jobId), exact: true }));
    refetchSoon("lists", () => void queryClient.invalidateQueries({ queryKey: jobKeys.lists }));
  });
}
