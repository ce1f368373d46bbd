//! The agent page route, split into its own chunk because the charts library is large. It composes
//! the agent's page with the commands feature (run panel and history), the registry browser (Windows
//! agents), the agent updates card, the scripts feature (run a script on the agent) and, as tabs,
//! its checks, alerts and effective policy from the checks, alerts and policies features, and its
//! inventory (hardware, software, services, users and groups, changes) from the inventory feature.
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { AgentPage } from "@/features/agents/components/agent-page";
import { AgentAlertsSection } from "@/features/alerts/components/agent-alerts-section";
import { AgentChecksTab } from "@/features/checks/components/agent-checks-tab";
import { EffectivePolicyView } from "@/features/checks/components/effective-policy-view";
import { ScopePolicyCard } from "@/features/policies/components/policy-assignments";
import { AgentMaintenanceBanner } from "@/features/maintenance/components/maintenance-banner";
import { CustomFieldsCard } from "@/features/custom-fields/components/custom-fields-card";
import { AGENT_TABS, type AgentTab } from "../agent-tab";
import { CommandHistoryCard } from "@/features/commands/components/command-history-card";
import { RunCommandPanel } from "@/features/commands/components/run-command-panel";
import { RegistryCard } from "@/features/registry/components/registry-card";
import { AgentUpdatesCard } from "@/features/updates/components/agent-updates-card";
import { RunScriptOnTargetButton } from "@/features/scripts/components/run-script-on-target";
import { AgentInventoryTab, INVENTORY_TABS } from "@/features/inventory/components/agent-inventory-tabs";
import type { CommandHistorySearch } from "@/features/commands/command-history-search";
import { isAgentTabAvailable } from "@/components/layout/scoped-pages";
import { useClientScope } from "@/lib/auth";

const agentApi = getRouteApi("/authed/agents/$agentId");

export function AgentRoute() {
  const { agentId } = agentApi.useParams();
  const search = agentApi.useSearch();
  const navigate = useNavigate();
  const { range, tab, ...commandSearch } = search;
  // A user limited to some clients gets every part of the page but the agent's policy assignments:
  // policies are the organization's, so they see the effective policy alone.
  const scope = useClientScope();
  const scoped = scope !== null;
  const setCommandSearch = (next: CommandHistorySearch) =>
    void navigate({ to: "/agents/$agentId", params: { agentId }, search: { range, tab, ...next }, replace: true });
  return (
    <AgentPage
      key={agentId}
      agentId={agentId}
      range={range ?? "1h"}
      onRangeChange={(next) =>
        void navigate({
          to: "/agents/$agentId",
          params: { agentId },
          search: { ...commandSearch, tab, range: next === "1h" ? undefined : next },
          replace: true,
        })
      }
      tab={tab}
      onTabChange={(next) =>
        void navigate({
          to: "/agents/$agentId",
          params: { agentId },
          search: { ...commandSearch, range, tab: next === "overview" || !isAgentTab(next) ? undefined : next },
          replace: true,
        })
      }
      extraTabs={(agent) =>
        [
          { value: "checks", label: "Checks", content: <AgentChecksTab agentId={agent.id} agentOnline={agent.status === "online"} /> },
          { value: "alerts", label: "Alerts", content: <AgentAlertsSection agentId={agent.id} /> },
          {
            value: "policy",
            label: "Effective policy",
            content: (
              <div className="grid gap-3">
                {scoped ? null : <ScopePolicyCard scope="agent" targetId={agent.id} />}
                <EffectivePolicyView agentId={agent.id} />
              </div>
            ),
          },
          ...INVENTORY_TABS.map(({ value, label }) => ({
            value,
            label,
            content: <AgentInventoryTab tab={value} agentId={agent.id} agentOnline={agent.status === "online"} />,
          })),
        ].filter((extra) => isAgentTabAvailable(extra.value, scope))
      }
      banner={(agent) => <AgentMaintenanceBanner agentId={agent.id} />}
      details={(agent) => <CustomFieldsCard scope="agent" targetId={agent.id} />}
      // Scripts run on the user's own agents, whatever their scope (the button asks run_scripts).
      headerActions={(agent) => (
        <RunScriptOnTargetButton
          target={{ kind: "agents", agentIds: [agent.id] }}
          targetLabel={agent.alias || agent.hostname}
          agentNames={{ [agent.id]: agent.hostname }}
          onJobStarted={(job) => void navigate({ to: "/jobs/$jobId", params: { jobId: job.id } })}
        />
      )}
      // Deleted agents' histories are the organization's: a scoped user goes back to their agents.
      onDeleted={(deletedId) =>
        void (scoped ? navigate({ to: "/agents" }) : navigate({ to: "/deleted-agents/$agentId", params: { agentId: deletedId } }))
      }
      commandPanel={(agent) => (
        <>
          <RunCommandPanel agentId={agent.id} agentOnline={agent.status === "online"} />
          <RegistryCard agent={agent} />
          <AgentUpdatesCard agent={agent} />
        </>
      )}
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

function isAgentTab(value: string): value is Exclude<AgentTab, "overview"> {
  return (AGENT_TABS as readonly string[]).includes(value) && value !== "overview";
}
