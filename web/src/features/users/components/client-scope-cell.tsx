//! A user's or invitation's access in a list: "All clients", the names of one or two clients, or
//! "3 clients" with every name in a tooltip.
import { Badge } from "@/components/ui/badge";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { scopeSummary } from "@/lib/client-scope";

export function ClientScopeCell({
  clientIds,
  names,
  testId,
}: {
  clientIds: readonly string[] | null | undefined;
  names: ReadonlyMap<string, string>;
  testId: string;
}) {
  const summary = scopeSummary(clientIds, names);
  if (!clientIds) {
    return (
      <Badge variant="muted" data-testid={testId} data-scope="organization">
        {summary.label}
      </Badge>
    );
  }
  if (!summary.names) {
    return (
      <Badge variant="info" className="max-w-full truncate" title={summary.label} data-testid={testId} data-scope="clients">
        {summary.label}
      </Badge>
    );
  }
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <Badge variant="info" tabIndex={0} className="cursor-default" data-testid={testId} data-scope="clients">
          {summary.label}
        </Badge>
      </TooltipTrigger>
      <TooltipContent className="max-w-xs" data-testid={`${testId}-names`}>
        {summary.names.join(", ")}
      </TooltipContent>
    </Tooltip>
  );
}
