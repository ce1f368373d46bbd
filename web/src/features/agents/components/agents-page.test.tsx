import { screen, within } from "@testing-library/react";
import type { AgentPage, ClientPage, User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { scopedUser } from "@/test/client-scope";
import { renderPage } from "@/test/render-page";
import { agentKeys } from "../api/agents";
import { deletedAgentKeys } from "../api/deleted-agents";
import type { AgentListSearch } from "../agent-list-search";
import { AgentsPage } from "./agents-page";
import { agentSummary as agent, pageOf } from "@/test/fixtures";
import userEvent from "@testing-library/user-event";

const noClients: ClientPage = { items: [], total: 0, page: 1, per_page: 100 };

function renderAgents(search: AgentListSearch, page: AgentPage, deletedCount = 0, role: User["role"] = "technician") {
  return renderPage(<AgentsPage search={search} onSearchChange={() => undefined} />, {
    role,
    seed: [
      [deletedAgentKeys.count, deletedCount],
      [agentKeys.list(search), page],
      [agentKeys.filterClients, noClients],
      [
        agentKeys.statusCounts,
        {
          online: page.items.filter((item) => item.status === "online").length,
          offline: page.items.filter((item) => item.status === "offline").length,
        },
      ],
      [agentKeys.facets, facets],
      [[...agentKeys.all, "saved-views"], { items: [] }],
    ],
  });
}

const facets = {
  os: [{ value: "linux", agents: 2 }],
  versions: [{ value: "0.1.0", agents: 2 }],
  tags: [{ value: "reception", agents: 1 }],
};

describe("AgentsPage", () => {
  it("shows each agent's status, location and usage", async () => {
    renderAgents(
      {},
      {
        items: [agent({ id: "a", hostname: "web01" }), agent({ id: "b", hostname: "db01", status: "offline", cpu_percent: null })],
        total: 2,
        page: 1,
        per_page: 50,
      },
    );
    const web = await screen.findByRole("row", { name: /web01/ });
    expect(within(web).getByTestId("agent-status")).toHaveTextContent("online");
    expect(web).toHaveTextContent("Acme / HQ");
    expect(web).toHaveTextContent("Debian GNU/Linux 12");
    expect(web).toHaveTextContent("13 %");
    expect(web).toHaveTextContent("25 %");
    const db = screen.getByRole("row", { name: /db01/ });
    expect(within(db).getByTestId("agent-status")).toHaveTextContent("offline");
    expect(within(screen.getByTestId("fleet-online")).getByText("1")).toBeInTheDocument();
  });

  it("shows an agent's name with its hostname, and its tags as links to the list filtered by each", async () => {
    renderAgents(
      {},
      pageOf([
        agent({ id: "a", hostname: "pc-0042", alias: "Front desk", tags: ["reception", "windows"] }),
        agent({ id: "b", hostname: "db01" }),
      ]),
    );
    const front = await screen.findByRole("row", { name: /Front desk/ });
    expect(within(front).getByTestId("agent-link")).toHaveTextContent("Front desk");
    expect(within(front).getByTestId("agent-row-hostname")).toHaveTextContent("pc-0042");
    expect(within(front).getByRole("link", { name: "windows" })).toHaveAttribute("href", "/agents?tag=windows");
    const db = screen.getByRole("row", { name: /db01/ });
    expect(within(db).getByTestId("agent-link")).toHaveTextContent("db01");
    expect(within(db).queryByTestId("agent-tags")).toBeNull();
  });

  it("sorts by a column header on the server, then the other way", async () => {
    const onSearchChange = vi.fn();
    const page = pageOf([agent({ id: "a", hostname: "web01" })]);
    renderPage(<AgentsPage search={{ sort: "cpu" }} onSearchChange={onSearchChange} />, {
      seed: [
        [deletedAgentKeys.count, 0],
        [agentKeys.list({ sort: "cpu" }), page],
        [agentKeys.filterClients, noClients],
        [agentKeys.statusCounts, { online: 1, offline: 0 }],
        [agentKeys.facets, facets],
        [[...agentKeys.all, "saved-views"], { items: [] }],
      ],
    });
    const cpu = await screen.findByTestId("sort-cpu");
    expect(cpu.closest("th")).toHaveAttribute("aria-sort", "ascending");
    await userEvent.click(cpu);
    expect(onSearchChange).toHaveBeenLastCalledWith({ sort: "cpu", order: "desc" });
    await userEvent.click(screen.getByTestId("sort-memory"));
    expect(onSearchChange).toHaveBeenLastCalledWith({ sort: "memory" });
    await userEvent.click(screen.getByTestId("sort-hostname"));
    expect(onSearchChange).toHaveBeenLastCalledWith({});
  });

  it("selects rows, or the page, and offers the bulk actions on them", async () => {
    renderAgents({}, pageOf([agent({ id: "a", hostname: "web01" }), agent({ id: "b", hostname: "db01" })]));
    expect(screen.queryByTestId("agent-bulk-bar")).toBeNull();
    await userEvent.click(within(await screen.findByRole("row", { name: /web01/ })).getByTestId("select-agent"));
    expect(screen.getByTestId("agent-selection-count")).toHaveTextContent("1 agent selected");
    await userEvent.click(screen.getByTestId("select-page"));
    expect(screen.getByTestId("agent-selection-count")).toHaveTextContent("2 agents selected");
    for (const action of ["bulk-tag", "bulk-untag", "bulk-move"]) expect(screen.getByTestId(action)).toBeInTheDocument();
    // Deleting agents takes manage_agents, which technicians lack.
    expect(screen.queryByTestId("bulk-delete")).toBeNull();
    await userEvent.click(screen.getByTestId("select-page"));
    expect(screen.queryByTestId("agent-bulk-bar")).toBeNull();
  });

  it("offers an administrator deleting the selection too", async () => {
    renderAgents({}, pageOf([agent({ id: "a", hostname: "web01" })]), 0, "admin");
    await userEvent.click(within(await screen.findByRole("row", { name: /web01/ })).getByTestId("select-agent"));
    expect(screen.getByTestId("bulk-delete")).toBeInTheDocument();
  });

  it("offers a user limited to some clients the bulk actions on their agents, without saved views or deleted agents", async () => {
    const rendered = renderAgents({}, pageOf([agent({ id: "a", hostname: "web01" })]), 0, "admin");
    rendered.queryClient.setQueryData(currentUserQueryKey, scopedUser(["c1"], "admin"));
    await userEvent.click(within(await screen.findByRole("row", { name: /web01/ })).getByTestId("select-agent"));
    for (const action of ["bulk-tag", "bulk-untag", "bulk-move", "bulk-delete"]) expect(screen.getByTestId(action)).toBeInTheDocument();
    expect(screen.queryByTestId("saved-views")).toBeNull();
    expect(screen.queryByRole("link", { name: /Deleted agents/ })).toBeNull();
  });

  it("offers no selection to readonly users", async () => {
    const page = pageOf([agent({ id: "a", hostname: "web01" })]);
    renderPage(<AgentsPage search={{}} onSearchChange={() => undefined} />, {
      role: "readonly",
      seed: [
        [deletedAgentKeys.count, 0],
        [agentKeys.list({}), page],
        [agentKeys.filterClients, noClients],
        [agentKeys.statusCounts, { online: 1, offline: 0 }],
        [agentKeys.facets, facets],
        [[...agentKeys.all, "saved-views"], { items: [] }],
      ],
    });
    await screen.findByRole("row", { name: /web01/ });
    expect(screen.queryByTestId("select-agent")).toBeNull();
  });

  it("shows the columns chosen, with the new ones' values", async () => {
    localStorage.setItem("gururmm.agents.columns", JSON.stringify(["name", "local_ip", "user", "alerts", "serial"]));
    try {
      renderAgents(
        {},
        pageOf([
          agent({ id: "a", hostname: "web01", local_ip: "10.0.0.5", logged_in_users: "ann", open_alerts: 2, serial_number: "PF3ABCD1" }),
        ]),
      );
      const row = await screen.findByRole("row", { name: /web01/ });
      expect(row).toHaveTextContent("10.0.0.5");
      expect(row).toHaveTextContent("ann");
      expect(row).toHaveTextContent("PF3ABCD1");
      expect(screen.getByRole("columnheader", { name: /Serial number/ })).toBeInTheDocument();
      expect(within(row).getByTestId("agent-open-alerts")).toHaveTextContent("2");
      expect(screen.queryByRole("columnheader", { name: /CPU/ })).toBeNull();
    } finally {
      localStorage.removeItem("gururmm.agents.columns");
    }
  });

  it("links to the deleted agents with their count", async () => {
    renderAgents({}, { items: [agent({})], total: 1, page: 1, per_page: 50 }, 4);
    const link = await screen.findByTestId("deleted-agents-link");
    expect(link).toHaveTextContent("Deleted agents (4)");
    expect(link).toHaveAttribute("href", "/agents/deleted");
  });

  it("tells a new user how to add the first agent", async () => {
    renderAgents({}, { items: [], total: 0, page: 1, per_page: 50 });
    const empty = await screen.findByTestId("agents-empty");
    expect(empty).toHaveTextContent("No agents yet: here is how to add one");
    expect(within(empty).getByRole("link", { name: "Clients" })).toHaveAttribute("href", "/clients");
    expect(empty).toHaveTextContent("Generate key");
  });

  it("offers to clear filters rather than the onboarding steps when filters hide every agent", async () => {
    renderAgents({ status: "offline" }, { items: [], total: 0, page: 1, per_page: 50 });
    expect(await screen.findByText("No agent matches these filters")).toBeInTheDocument();
    expect(screen.queryByTestId("agents-empty")).not.toBeInTheDocument();
  });
});
