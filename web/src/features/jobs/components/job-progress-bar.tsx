import type { JobCounts } from "@/api/types";
import { cn } from "@/lib/utils";
import { jobProgress, PROGRESS_PARTS, type ProgressPart } from "../job-progress";

const PART_STYLES: Record<ProgressPart, { bar: string; dot: string; label: string }> = {
  completed: { bar: "bg-success", dot: "bg-success", label: "completed" },
  failed: { bar: "bg-destructive", dot: "bg-destructive", label: "failed" },
  running: { bar: "bg-primary animate-pulse", dot: "bg-primary", label: "running" },
  queued: { bar: "bg-muted-foreground/30", dot: "bg-muted-foreground/40", label: "queued" },
};

/** A stacked bar of completed, failed, running and queued agents, with the counts beside or below it. */
export function JobProgressBar({ counts, size = "sm", className }: { counts: JobCounts; size?: "sm" | "lg"; className?: string }) {
  const progress = jobProgress(counts);
  return (
    <div className={cn("grid gap-1", className)} data-testid="job-progress" data-finished={progress.finished} data-total={progress.total}>
      <div
        role="progressbar"
        aria-label={progress.label}
        aria-valuemin={0}
        aria-valuemax={progress.total}
        aria-valuenow={progress.finished}
        className={cn("flex w-full overflow-hidden rounded-full bg-muted", size === "lg" ? "h-3" : "h-1.5")}
      >
        {PROGRESS_PARTS.map((part) =>
          progress.percent[part] > 0 ? (
            <div
              key={part}
              className={cn("h-full transition-[width]", PART_STYLES[part].bar)}
              style={{ width: `${progress.percent[part]}%` }}
            />
          ) : null,
        )}
      </div>
      <div className={cn("flex flex-wrap gap-x-2.5 tabular-nums text-muted-foreground", size === "lg" ? "text-sm" : "text-[11px]")}>
        {PROGRESS_PARTS.map((part) => (
          <span
            key={part}
            className="flex items-center gap-1 whitespace-nowrap"
            data-testid={`job-count-${part}`}
            data-count={counts[part]}
          >
            <span className={cn("size-1.5 rounded-full", PART_STYLES[part].dot)} aria-hidden />
            <span className={cn(counts[part] > 0 && "text-foreground")}>{counts[part]}</span> {PART_STYLES[part].label}
          </span>
        ))}
      </div>
    </div>
  );
}
