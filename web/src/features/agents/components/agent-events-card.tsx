import { ErrorMessage } from "@/components/error-message";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useAgentEvents } from "../api/agents";

const VISIBLE_EVENTS = 20;

export function AgentEventsCard({ agentId }: { agentId: string }) {
  const events = useAgentEvents(agentId);
  const items = events.data?.items ?? [];
  return (
    <Card data-testid="agent-events-card">
      <CardHeader>
        <CardTitle>Recent events</CardTitle>
      </CardHeader>
      <CardContent>
        {events.isError ? <ErrorMessage error={events.error} onRetry={() => void events.refetch()} /> : null}
        {events.isPending ? (
          <Skeleton className="h-16" />
        ) : items.length === 0 ? (
          <p className="text-sm text-muted-foreground">Nothing unusual happened to this agent.</p>
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead className="w-32">When</TableHead>
                <TableHead className="w-40">Kind</TableHead>
                <TableHead>Message</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.slice(0, VISIBLE_EVENTS).map((event, index) => (
                <TableRow key={`${event.created_at}-${event.kind}-${index}`}>
                  <TableCell className="text-muted-foreground">
                    <RelativeTime value={event.created_at} />
                  </TableCell>
                  <TableCell>
                    <Badge variant="outline" className="font-mono">
                      {event.kind}
                    </Badge>
                  </TableCell>
                  <TableCell className="whitespace-normal">{event.message}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
