import { screen, within } from "@testing-library/react";
import type { AgentPage, ClientPage } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { agentKeys } from "../api/agents";
import { deletedAgentKeys } from "../api/deleted-agents";
import type { AgentListSearch } from "../agent-list-search";
import { AgentsPage } from "./agents-page";
import { agentSummary as agent, pageOf } from "@/test/fixtures";
import userEvent from "@testing-library/user-event";

const noClients: ClientPage = { items: [], total: 0, page: 1, per_page: 100 };

function renderAgents(search: AgentListSearch, page: AgentPage, deletedCount = 0) {
  return renderPage(<AgentsPage search={search} onSearchChange={() => undefined} />, {
    seed: [
      [deletedAgentKeys.count, deletedCount],
      [agentKeys.list(search), page],
      [agentKeys.filterClients, noClients],
      [agentKeys.statusCount("online"), page.items.filter((item) => item.status === "online").length],
      [agentKeys.statusCount("offline"), page.items.filter((item) => item.status === "offline").length],
    ],
  });
}

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

  it("shows the tag it filters by, which can be taken off", async () => {
    const onSearchChange = vi.fn();
    renderPage(<AgentsPage search={{ tag: "reception", status: "online" }} onSearchChange={onSearchChange} />, {
      seed: [
        [deletedAgentKeys.count, 0],
        [agentKeys.list({ tag: "reception", status: "online" }), pageOf([agent({ tags: ["reception"] })])],
        [agentKeys.filterClients, noClients],
        [agentKeys.statusCount("online"), 1],
        [agentKeys.statusCount("offline"), 0],
      ],
    });
    const chip = await screen.findByTestId("agent-tag-filter");
    expect(chip).toHaveTextContent("Tag: reception");
    await userEvent.click(within(chip).getByRole("button", { name: "Stop filtering by tag reception" }));
    expect(onSearchChange).toHaveBeenCalledWith({ status: "online" });
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
