//! The agent page route, split into its own chunk because the charts library is large.
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { AgentPage } from "@/features/agents/components/agent-page";

const agentApi = getRouteApi("/authed/agents/$agentId");

export function AgentRoute() {
  const { agentId } = agentApi.useParams();
  const search = agentApi.useSearch();
  const navigate = useNavigate();
  return (
    <AgentPage
      key={agentId}
      agentId={agentId}
      range={search.range ?? "1h"}
      onRangeChange={(range) =>
        void navigate({ to: "/agents/$agentId", params: { agentId }, search: range === "1h" ? {} : { range }, replace: true })
      }
      onDeleted={() => void navigate({ to: "/agents" })}
    />
  );
}
