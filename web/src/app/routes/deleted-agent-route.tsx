//! A deleted agent's page: its tombstone from the agents feature with the commands feature's history.
//! No run panel here: a deleted agent can no longer run anything.
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { DeletedAgentPage } from "@/features/agents/components/deleted-agent-page";
import { CommandHistoryCard } from "@/features/commands/components/command-history-card";

const deletedAgentApi = getRouteApi("/authed/deleted-agents/$agentId");

export function DeletedAgentRoute() {
  const { agentId } = deletedAgentApi.useParams();
  const search = deletedAgentApi.useSearch();
  const navigate = useNavigate();
  return (
    <DeletedAgentPage
      key={agentId}
      agentId={agentId}
      commandHistory={(agent) => (
        <CommandHistoryCard
          agentId={agent.id}
          agentOnline={false}
          allowRerun={false}
          search={search}
          onSearchChange={(next) => void navigate({ to: "/deleted-agents/$agentId", params: { agentId }, search: next, replace: true })}
        />
      )}
    />
  );
}
