import { Link } from "@tanstack/react-router";
import { ErrorMessage } from "@/components/error-message";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { AGENTS_PER_PAGE, useAgents } from "../api/agents";
import { AgentsTable } from "./agents-table";

export type AgentScope = { site_id: string } | { client_id: string };

/** The agents of one client or one site, shown on that client's or site's page. */
export function ScopedAgentsSection({ scope }: { scope: AgentScope }) {
  const agents = useAgents(scope);
  const isSite = "site_id" in scope;
  return (
    <Card data-testid="scoped-agents">
      <CardHeader>
        <CardTitle>Agents</CardTitle>
        {agents.data && agents.data.total > AGENTS_PER_PAGE ? (
          <Link to="/agents" search={scope} className="text-xs text-primary hover:underline">
            All {agents.data.total} agents of this {isSite ? "site" : "client"}
          </Link>
        ) : null}
      </CardHeader>
      <CardContent>
        {agents.isError ? <ErrorMessage error={agents.error} onRetry={() => void agents.refetch()} /> : null}
        {agents.isPending ? (
          <Skeleton className="h-24" />
        ) : agents.data && agents.data.items.length === 0 ? (
          <p className="py-4 text-sm text-muted-foreground">
            {isSite
              ? "No agent has enrolled into this site yet. Generate the enrollment key and run the install command on a computer."
              : "No agent has enrolled into this client's sites yet. Open a site to generate its enrollment key."}
          </p>
        ) : agents.data ? (
          <AgentsTable agents={agents.data.items} showLocation={!isSite} />
        ) : null}
      </CardContent>
    </Card>
  );
}
