import { screen, within } from "@testing-library/react";
import { renderPage } from "@/test/render-page";
import { deletedAgentKeys } from "../api/deleted-agents";
import { DeletedAgentPage } from "./deleted-agent-page";
import { deletedAgent } from "@/test/fixtures";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const AGENT_ID = "0b7f1a4e-1111-4222-8333-944455556666";
const tombstone = deletedAgent({ id: AGENT_ID, deleted_at: new Date(Date.now() - 2 * 3600_000).toISOString(), command_count: 3 });

describe("DeletedAgentPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockResolvedValue(
      new Response(JSON.stringify({ error: { code: "not_found", message: "agent not found" } }), {
        status: 404,
        headers: { "Content-Type": "application/json" },
      }),
    );
  });

  it("says the agent was deleted, when and by whom, that its history is kept, and shows that history from the route", async () => {
    renderPage(<DeletedAgentPage agentId={AGENT_ID} commandHistory={(agent) => <div data-testid="history-from-route">{agent.id}</div>} />, {
      seed: [[deletedAgentKeys.detail(AGENT_ID), tombstone]],
    });
    expect(await screen.findByTestId("deleted-agent-hostname")).toHaveTextContent("old-pc");
    expect(screen.getByTestId("deleted-badge")).toHaveTextContent("Deleted");
    const notice = screen.getByTestId("deleted-agent-notice");
    expect(notice).toHaveTextContent("This agent was deleted 2 hours ago");
    expect(notice).toHaveTextContent("by admin@example.com");
    expect(notice).toHaveTextContent("Its command history is kept");
    expect(notice).toHaveTextContent("can no longer connect or run anything");
    const facts = screen.getByTestId("deleted-agent-facts");
    expect(facts).toHaveTextContent("Client / siteAcme / HQ");
    expect(facts).toHaveTextContent("Enrolled");
    expect(facts).toHaveTextContent("Commands3");
    expect(screen.getByTestId("history-from-route")).toHaveTextContent(AGENT_ID);
    expect(screen.getByRole("link", { name: "Deleted agents" })).toHaveAttribute("href", "/agents/deleted");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("shows a not-found state, not a bare error, for an id with no tombstone", async () => {
    renderPage(<DeletedAgentPage agentId={AGENT_ID} commandHistory={() => <div data-testid="history-from-route" />} />);
    const notFound = await screen.findByTestId("deleted-agent-not-found");
    expect(notFound).toHaveTextContent("No deleted agent with this id");
    expect(within(notFound).getByRole("link", { name: "Deleted agents" })).toHaveAttribute("href", "/agents/deleted");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.queryByTestId("history-from-route")).not.toBeInTheDocument();
  });
});
