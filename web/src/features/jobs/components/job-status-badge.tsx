import { LoaderCircleIcon } from "lucide-react";
import type { Job } from "@/api/types";
import { Badge } from "@/components/ui/badge";

/** Running while any agent is queued or running; when done, green if every agent succeeded. */
export function JobStatusBadge({ job }: { job: Job }) {
  const done = job.status === "done";
  const variant = !done ? "info" : job.counts.failed > 0 ? "destructive" : "success";
  const text = !done ? "running" : job.counts.failed > 0 ? "done, with failures" : "done";
  return (
    <Badge variant={variant} data-testid="job-status" data-status={job.status} aria-label={`Job status: ${text}`}>
      {!done ? <LoaderCircleIcon className="animate-spin" aria-hidden /> : null}
      {text}
    </Badge>
  );
}
