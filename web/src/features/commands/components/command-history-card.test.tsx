import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Command, CommandPage } from "@/api/types";
import { LiveEventsProvider } from "@/lib/live-events";
import { renderPage } from "@/test/render-page";
import { commandKeys } from "../api/commands";
import type { CommandHistorySearch } from "../command-history-search";
import { CommandHistoryCard } from "./command-history-card";
import { command as commandFixture } from "@/test/fixtures";

const AGENT_ID = "9d3c1b8e-6a3f-4f0e-8c1d-2b7a5e4f3c21";

const command = (id: string, overrides: Partial<Command>): Command =>
  commandFixture({
    id,
    agent_id: AGENT_ID,
    status: "completed",
    command: "uptime",
    exit_code: 0,
    created_by_email: "alice@msp.example",
    finished_at: "2026-01-01T00:00:03.5Z",
    ...overrides,
  });

function renderHistory(search: CommandHistorySearch, page: CommandPage, onSearchChange = vi.fn()) {
  renderPage(
    <LiveEventsProvider session={null}>
      <CommandHistoryCard agentId={AGENT_ID} agentOnline search={search} onSearchChange={onSearchChange} />
    </LiveEventsProvider>,
    { seed: [[commandKeys.list(AGENT_ID, search), page]] },
  );
  return onSearchChange;
}

describe("CommandHistoryCard", () => {
  it("lists commands with status, first line, author, duration and exit code", async () => {
    renderHistory(
      {},
      {
        items: [
          command("c2", {
            status: "failed",
            command: "apt-get update\napt-get -y upgrade",
            exit_code: 100,
            created_by_email: "bob@msp.example",
          }),
          command("c1", { status: "running", exit_code: null, finished_at: null, command: "sleep 60" }),
        ],
        total: 2,
        page: 1,
        per_page: 15,
      },
    );
    const rows = await screen.findAllByTestId("command-row");
    expect(rows).toHaveLength(2);
    const failed = rows[0]!;
    expect(within(failed).getByTestId("command-status")).toHaveTextContent("failed");
    expect(within(failed).getByRole("button", { name: "apt-get update …" })).toHaveAttribute("title", "apt-get update\napt-get -y upgrade");
    expect(failed).toHaveTextContent("bob@msp.example");
    expect(failed).toHaveTextContent("2.5 s");
    expect(failed).toHaveTextContent("100");
    expect(within(rows[1]!).getByTestId("command-status")).toHaveTextContent("running");
  });

  it("opens a command's output from its row and filters by status through the URL state", async () => {
    const onSearchChange = renderHistory({ cmd_page: 2 }, { items: [command("c1", {})], total: 16, page: 2, per_page: 15 });
    await userEvent.click(await screen.findByRole("button", { name: "uptime" }));
    expect(onSearchChange).toHaveBeenLastCalledWith({ cmd_page: 2, command: "c1" });
    expect(screen.getByTestId("pagination")).toHaveTextContent("16–16 of 16");
  });

  it("says when no command was run yet", async () => {
    renderHistory({}, { items: [], total: 0, page: 1, per_page: 15 });
    expect(await screen.findByTestId("command-history-empty")).toHaveTextContent("No command has been run on this agent yet.");
  });

  it("says when filters hide every command, and clears them back to page one", async () => {
    const onSearchChange = renderHistory({ cmd_status: "timeout", cmd_q: "backup" }, { items: [], total: 0, page: 1, per_page: 15 });
    expect(await screen.findByTestId("command-history-empty")).toHaveTextContent("No command matches these filters.");
    await userEvent.click(screen.getByRole("button", { name: "Clear" }));
    expect(onSearchChange).toHaveBeenLastCalledWith({});
  });
});
