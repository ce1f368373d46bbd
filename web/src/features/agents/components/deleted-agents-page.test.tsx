import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { DeletedAgentPage } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { deletedAgentKeys } from "../api/deleted-agents";
import type { DeletedAgentListSearch } from "../deleted-agent-list-search";
import { DeletedAgentsPage } from "./deleted-agents-page";
import { deletedAgent } from "@/test/fixtures";

function renderDeleted(search: DeletedAgentListSearch, page: DeletedAgentPage) {
  const onSearchChange = vi.fn();
  const result = renderPage(<DeletedAgentsPage search={search} onSearchChange={onSearchChange} />, {
    seed: [[deletedAgentKeys.list(search), page]],
  });
  return { ...result, onSearchChange };
}

describe("DeletedAgentsPage", () => {
  it("lists each tombstone with its location, OS, deletion and command count, linking to its page", async () => {
    renderDeleted(
      {},
      {
        items: [deletedAgent(), deletedAgent({ id: "0b7f1a4e-2222-4222-8333-944455556666", hostname: "lab-02", command_count: 0 })],
        total: 2,
        page: 1,
        per_page: 50,
      },
    );
    const rows = await screen.findAllByTestId("deleted-agent-row");
    expect(rows.map((row) => row.getAttribute("data-hostname"))).toEqual(["old-pc", "lab-02"]);
    const first = rows[0]!;
    expect(first).toHaveTextContent("Acme / HQ");
    expect(first).toHaveTextContent("Debian GNU/Linux 12");
    expect(first).toHaveTextContent("5 minutes ago");
    expect(first).toHaveTextContent("admin@example.com");
    expect(within(first).getByTestId("deleted-agent-command-count")).toHaveTextContent("7");
    expect(within(first).getByRole("link", { name: "old-pc" })).toHaveAttribute(
      "href",
      "/deleted-agents/0b7f1a4e-1111-4222-8333-944455556666",
    );
    expect(screen.getByText(/2 deleted agents; their command history is kept/)).toBeInTheDocument();
  });

  it("explains what the list is for when no agent was ever deleted", async () => {
    renderDeleted({}, { items: [], total: 0, page: 1, per_page: 50 });
    const empty = await screen.findByTestId("deleted-agents-empty");
    expect(empty).toHaveTextContent("No agent has been deleted");
    expect(empty).toHaveTextContent("command history stays readable");
    expect(screen.queryByTestId("deleted-agents-table")).not.toBeInTheDocument();
  });

  it("counts the matches of a search", async () => {
    renderDeleted({ q: "old" }, { items: [deletedAgent()], total: 1, page: 1, per_page: 50 });
    expect(await screen.findByText("1 deleted agent matches the search; their command history is kept")).toBeInTheDocument();
  });

  it("offers to clear a search that matches nothing", async () => {
    const { onSearchChange } = renderDeleted({ q: "nope" }, { items: [], total: 0, page: 1, per_page: 50 });
    expect(await screen.findByText("No deleted agent matches this search")).toBeInTheDocument();
    expect(screen.queryByTestId("deleted-agents-empty")).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Clear search" }));
    expect(onSearchChange).toHaveBeenCalledWith({});
  });
});
