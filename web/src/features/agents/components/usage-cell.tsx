import { formatPercent } from "@/lib/format";
import { cn } from "@/lib/utils";

/** A percentage with a thin bar, compact enough for table cells. */
export function UsageCell({ percent, title }: { percent: number | null; title?: string }) {
  if (percent === null) return <span className="text-muted-foreground">–</span>;
  const tone = percent >= 90 ? "bg-destructive" : percent >= 80 ? "bg-warning" : "bg-primary";
  return (
    <div className="flex items-center justify-end gap-2" title={title}>
      <span className="tabular-nums">{formatPercent(percent, 0)}</span>
      <div className="h-1.5 w-12 overflow-hidden rounded-full bg-muted" aria-hidden>
        <div className={cn("h-full", tone)} style={{ width: `${Math.min(100, percent)}%` }} />
      </div>
    </div>
  );
}
