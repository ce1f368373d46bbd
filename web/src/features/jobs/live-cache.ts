//! Which jobs queries a live event makes stale. A job on hundreds of agents sends hundreds of
//! command events, so each job page and the jobs list refetch at most once per second.
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { LiveEvent } from "@/lib/live-events";
import { jobKeys } from "./api/jobs";

export const JOB_REFETCH_DELAY_MS = 1_000;

export function handleJobLiveEvent(event: LiveEvent, invalidate: LiveInvalidator): void {
  if (event.type === "connected") {
    invalidate.now({ queryKey: jobKeys.all });
    return;
  }
  if (event.type !== "command_status" || !event.job_id) return;
  invalidate.soon(`job:${event.job_id}`, { queryKey: jobKeys.detail(event.job_id), exact: true });
  invalidate.soon("lists", { queryKey: jobKeys.lists });
}
