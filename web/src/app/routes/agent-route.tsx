//! The agent page route, split into its own chunk because the charts library is large. It composes
//! the agent's page with the commands feature (run panel and history).
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { AgentPage } from "@/features/agents/components/agent-page";
import { CommandHistoryCard } from "@/features/commands/components/command-history-card";
import { RunCommandPanel } from "@/features/commands/components/run-command-panel";
import type { CommandHistorySearch } from "@/features/commands/command-history-search";

const agentApi = getRouteApi("/authed/agents/$agentId");

export function AgentRoute() {
  const { agentId } = agentApi.useParams();
  const search = agentApi.useSearch();
  const navigate = useNavigate();
  const { range, ...commandSearch } = search;
  const setCommandSearch = (next: CommandHistorySearch) =>
    void navigate({ to: "/agents/$agentId", params: { agentId }, search: { range, ...next }, replace: true });
  return (
    <AgentPage
      key={agentId}
      agentId={agentId}
      range={range ?? "1h"}
      onRangeChange={(next) =>
        void navigate({
          to: "/agents/$agentId",
          params: { agentId },
          search: { ...commandSearch, range: next === "1h" ? undefined : next },
          replace: true,
        })
      }
      onDeleted={(deletedId) => void navigate({ to: "/deleted-agents/$agentId", params: { agentId: deletedId } })}
      commandPanel={(agent) => <RunCommandPanel agentId={agent.id} agentOnline={agent.status === "online"} />}
      commandHistory={(agent) => (
        <CommandHistoryCard
          agentId={agent.id}
          agentOnline={agent.status === "online"}
          search={commandSearch}
          onSearchChange={setCommandSearch}
        />
      )}
    />
  );
}
