import { Link } from "@tanstack/react-router";
import { ErrorMessage } from "@/components/error-message";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { AGENTS_PER_PAGE, useAgents } from "../api/agents";
import { AgentsTable } from "./agents-table";

/** The agents of one site, shown on the site page. */
export function SiteAgentsSection({ siteId }: { siteId: string }) {
  const agents = useAgents({ site_id: siteId });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Agents</CardTitle>
        {agents.data && agents.data.total > AGENTS_PER_PAGE ? (
          <Link to="/agents" search={{ site_id: siteId }} className="text-xs text-primary hover:underline">
            All {agents.data.total} agents of this site
          </Link>
        ) : null}
      </CardHeader>
      <CardContent>
        {agents.isError ? <ErrorMessage error={agents.error} onRetry={() => void agents.refetch()} /> : null}
        {agents.isPending ? (
          <Skeleton className="h-24" />
        ) : agents.data && agents.data.items.length === 0 ? (
          <p className="py-4 text-sm text-muted-foreground">
            No agent has enrolled into this site yet. Generate the enrollment key and run the install command on a computer.
          </p>
        ) : agents.data ? (
          <AgentsTable agents={agents.data.items} showLocation={false} />
        ) : null}
      </CardContent>
    </Card>
  );
}
