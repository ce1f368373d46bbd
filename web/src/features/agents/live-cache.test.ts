import { QueryClient } from "@tanstack/react-query";
import type { AgentDetail, AgentPage, AgentSummary } from "@/api/types";
import { agentKeys } from "./api/agents";
import { applyAgentMetricsEvent, applyAgentStatusEvent } from "./live-cache";
import { agentSummary, pageOf } from "@/test/fixtures";

const summary = (id: string, overrides: Partial<AgentSummary> = {}): AgentSummary =>
  agentSummary({
    id,
    hostname: `host-${id}`,
    status: "offline",
    last_seen: "2026-01-01T00:00:00Z",
    cpu_percent: null,
    memory_used_bytes: null,
    memory_total_bytes: null,
    ...overrides,
  });
const page = (items: AgentSummary[]): AgentPage => pageOf(items);

describe("live agent cache updates", () => {
  it("flips the status in every cached list and in the detail", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(agentKeys.list({}), page([summary("a"), summary("b")]));
    queryClient.setQueryData(agentKeys.list({ q: "host" }), page([summary("a")]));
    queryClient.setQueryData<AgentDetail>(agentKeys.detail("a"), {
      ...summary("a"),
      notes: "",
      device_id: "d",
      interfaces: [],
      latest_sample: null,
    });

    const known = applyAgentStatusEvent(queryClient, {
      type: "agent_status",
      agent_id: "a",
      status: "online",
      last_seen: "2026-01-02T00:00:00Z",
    });

    expect(known).toBe(true);
    expect(queryClient.getQueryData<AgentPage>(agentKeys.list({}))?.items.map((agent) => agent.status)).toEqual(["online", "offline"]);
    expect(queryClient.getQueryData<AgentPage>(agentKeys.list({ q: "host" }))?.items[0]?.status).toBe("online");
    expect(queryClient.getQueryData<AgentDetail>(agentKeys.detail("a"))).toMatchObject({
      status: "online",
      last_seen: "2026-01-02T00:00:00Z",
    });
  });

  it("reports an agent that no cached list knows, so lists get refetched", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(agentKeys.list({}), page([summary("a")]));
    expect(applyAgentStatusEvent(queryClient, { type: "agent_status", agent_id: "new", status: "online", last_seen: null })).toBe(false);
  });

  it("updates CPU and memory numbers and never moves last seen backwards", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(agentKeys.list({}), page([summary("a", { last_seen: "2026-01-05T00:00:00Z" })]));
    applyAgentMetricsEvent(queryClient, {
      type: "agent_metrics",
      agent_id: "a",
      collected_at: "2026-01-04T00:00:00Z",
      cpu_percent: 42,
      memory_used_bytes: 1024,
      memory_total_bytes: 4096,
    });
    expect(queryClient.getQueryData<AgentPage>(agentKeys.list({}))?.items[0]).toMatchObject({
      cpu_percent: 42,
      memory_used_bytes: 1024,
      memory_total_bytes: 4096,
      last_seen: "2026-01-05T00:00:00Z",
    });
  });
});
