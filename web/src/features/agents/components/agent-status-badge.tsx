import type { AgentStatus } from "@/api/types";
import { Badge } from "@/components/ui/badge";

/** Green when the server holds a live connection to the agent, grey otherwise. Its text is exactly the status. */
export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  const online = status === "online";
  return (
    <Badge variant={online ? "success" : "muted"} data-testid="agent-status" data-status={status} aria-label={`Status: ${status}`}>
      <span className={online ? "size-1.5 rounded-full bg-success" : "size-1.5 rounded-full bg-muted-foreground/60"} aria-hidden />
      {status}
    </Badge>
  );
}
