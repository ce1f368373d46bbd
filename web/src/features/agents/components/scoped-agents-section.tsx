import { Link } from "@tanstack/react-router";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
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
        <AgentsTable
          query={agents}
          showLocation={!isSite}
          loadingClassName="h-24"
          empty={
            <p className="py-4 text-sm text-muted-foreground">
              {isSite
                ? "No agent has enrolled into this site yet. Generate the enrollment key and run the install command on a computer."
                : "No agent has enrolled into this client's sites yet. Open a site to generate its enrollment key."}
            </p>
          }
        />
      </CardContent>
    </Card>
  );
}
