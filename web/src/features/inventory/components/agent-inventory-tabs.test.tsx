import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { AgentInventory } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { AgentInventoryTab } from "./agent-inventory-tabs";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const AGENT_ID = "9d3c1b8e-6a3f-4f0e-8c1d-2b7a5e4f3c21";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const INVENTORY: AgentInventory = {
  collected_at: "2026-12-06T07:00:00Z",
  received_at: "2026-12-06T07:00:01Z",
  hardware: { manufacturer: "Dell Inc.", model: "OptiPlex 7090", serial: "ABC1234", memory_modules: [], disks: [], nics: [] },
  os: { name: "Debian GNU/Linux", version: "12", build: "bookworm" },
  software: [
    { name: "openssl", version: "3.0.10-1", source: "dpkg", publisher: "Debian", arch: "amd64", install_date: null },
    { name: "libssl3", version: "3.0.2-1", source: "dpkg", publisher: "Debian", arch: "amd64", install_date: null },
    { name: "bash", version: "5.2.15-2", source: "dpkg", publisher: "Debian", arch: "amd64", install_date: null },
  ],
  services: [
    { name: "nginx.service", description: "A web server", state: "failed", start_mode: "automatic", raw_state: "failed" },
    { name: "ssh.service", description: "OpenBSD Secure Shell server", state: "running", start_mode: "automatic", raw_state: null },
  ],
  users: [],
  groups: [],
  virtualization: null,
  domain: null,
  package_count: 3,
  service_count: 2,
  truncated: false,
};

function answer(refresh: Response) {
  fetchMock.mockImplementation(async (input) => {
    if (!(input instanceof Request)) return json({});
    if (input.method === "POST" && input.url.endsWith(`/agents/${AGENT_ID}/inventory/refresh`)) return refresh.clone();
    if (input.url.endsWith(`/agents/${AGENT_ID}/inventory`)) return json(INVENTORY);
    return json({ error: { code: "not_found", message: "no" } }, 404);
  });
}

describe("AgentInventoryTab", () => {
  it("sorts the software by version as versions and searches it", async () => {
    answer(json({ requested: true }, 202));
    renderPage(<AgentInventoryTab tab="software" agentId={AGENT_ID} agentOnline />);
    const table = await screen.findByTestId("software-table");
    await userEvent.click(within(table).getByTestId("software-sort-version"));
    expect(
      within(table)
        .getAllByTestId("software-version")
        .map((cell) => cell.textContent),
    ).toEqual(["3.0.2-1", "3.0.10-1", "5.2.15-2"]);
    await userEvent.type(screen.getByRole("searchbox", { name: "Search the packages" }), "ssl");
    await waitFor(() => expect(within(table).getAllByTestId("software-row")).toHaveLength(2));
  });

  it("shows each service's state and filters the failed ones", async () => {
    answer(json({ requested: true }, 202));
    renderPage(<AgentInventoryTab tab="services" agentId={AGENT_ID} agentOnline />);
    const table = await screen.findByTestId("services-table");
    expect(
      within(table)
        .getAllByTestId("service-row")
        .map((row) => row.dataset.state),
    ).toEqual(["failed", "running"]);
    await userEvent.click(screen.getByTestId("services-filter-failed"));
    expect(within(table).getAllByTestId("service-row")).toHaveLength(1);
    expect(within(table).getByText("Failed")).toBeInTheDocument();
  });

  it("says when the agent went offline before a refresh reached it", async () => {
    answer(json({ error: { code: "agent_offline", message: "the agent is offline" } }, 409));
    renderPage(<AgentInventoryTab tab="hardware" agentId={AGENT_ID} agentOnline />);
    expect(await screen.findByTestId("inventory-system")).toHaveTextContent("OptiPlex 7090");
    await userEvent.click(screen.getByTestId("inventory-refresh"));
    expect(await screen.findByTestId("inventory-refresh-error")).toHaveTextContent("The agent is offline.");
  });

  it("cannot be refreshed by a readonly user", async () => {
    answer(json({ requested: true }, 202));
    renderPage(<AgentInventoryTab tab="hardware" agentId={AGENT_ID} agentOnline />, { role: "readonly" });
    await screen.findByTestId("inventory-system");
    expect(screen.queryByTestId("inventory-refresh")).not.toBeInTheDocument();
  });
});
