import { LoaderCircleIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import type { CommandStatus } from "../command-status";

type BadgeVariant = "muted" | "info" | "success" | "destructive" | "warning";

/**
 * Grey while waiting, blue while running, green or red for the outcome, amber when it was cut short.
 * Its text is exactly the status, like the agent status badge.
 */
const STATUS_VARIANTS: Record<CommandStatus, BadgeVariant> = {
  queued: "muted",
  running: "info",
  completed: "success",
  failed: "destructive",
  timeout: "warning",
  cancelled: "muted",
  interrupted: "warning",
  expired: "muted",
};

export function CommandStatusBadge({ status, className }: { status: string; className?: string }) {
  const known = status in STATUS_VARIANTS ? (status as CommandStatus) : null;
  return (
    <Badge
      variant={known ? STATUS_VARIANTS[known] : "outline"}
      className={className}
      data-testid="command-status"
      data-status={status}
      aria-label={`Status: ${status}`}
    >
      {status === "running" ? <LoaderCircleIcon className="animate-spin" aria-hidden /> : null}
      {status}
    </Badge>
  );
}
