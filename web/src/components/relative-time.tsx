import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { useNow } from "@/hooks/use-now";
import { formatDateTime, formatRelativeTime } from "@/lib/format";

/** "3 minutes ago" that keeps itself current, with the exact time on hover. */
export function RelativeTime({ value, className }: { value: string | null | undefined; className?: string }) {
  const now = useNow(15_000);
  if (!value) return <span className={className}>never</span>;
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <time dateTime={value} className={className}>
          {formatRelativeTime(value, now)}
        </time>
      </TooltipTrigger>
      <TooltipContent>{formatDateTime(value)}</TooltipContent>
    </Tooltip>
  );
}
