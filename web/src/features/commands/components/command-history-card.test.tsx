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

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

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

function renderHistory(
  search: CommandHistorySearch,
  page: CommandPage,
  onSearchChange = vi.fn(),
  { role = "technician", allowRerun }: { role?: "technician" | "readonly"; allowRerun?: boolean } = {},
) {
  renderPage(
    <LiveEventsProvider session={null}>
      <CommandHistoryCard agentId={AGENT_ID} agentOnline search={search} onSearchChange={onSearchChange} allowRerun={allowRerun} />
    </LiveEventsProvider>,
    { seed: [[commandKeys.list(AGENT_ID, search), page]], role },
  );
  return onSearchChange;
}

const fromScript = (id: string, name: string | null) =>
  command(id, {
    command_type: "script",
    interpreter: "bash",
    command: "#!/bin/bash\necho SECRET-BODY",
    args: ["/tmp", "7"],
    script: { id: "s1", version: 4, name },
    job_id: "j1",
  });

describe("CommandHistoryCard", () => {
  it("names a registry operation in words instead of its JSON, and offers no edit form for it", async () => {
    const operation = {
      operation: "set_value",
      hive: "HKLM",
      path: "SOFTWARE\\Contoso",
      name: "Level",
      value: { type: "REG_DWORD", data: 3 },
    };
    renderHistory(
      {},
      { items: [command("r1", { command_type: "registry", command: JSON.stringify(operation) })], total: 1, page: 1, per_page: 15 },
    );
    const row = await screen.findByTestId("command-row");
    expect(within(row).getByText("Registry", { exact: true })).toBeInTheDocument();
    expect(within(row).getByRole("button", { name: "Registry: set_value HKLM\\SOFTWARE\\Contoso Level (REG_DWORD)" })).toBeInTheDocument();
    expect(within(row).queryByTestId("edit-and-run-button")).not.toBeInTheDocument();
    expect(within(row).getByTestId("rerun-command-button")).toBeInTheDocument();
  });

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

  it("names the script, its version and its job instead of showing the script's code", async () => {
    renderHistory({}, { items: [fromScript("c3", "Clean temp"), fromScript("c2", null)], total: 2, page: 1, per_page: 15 });
    const [named, deleted] = await screen.findAllByTestId("command-row");
    expect(within(named!).getByRole("link", { name: "Clean temp v4" })).toHaveAttribute("href", "/scripts/s1");
    expect(within(named!).getByRole("link", { name: "job" })).toHaveAttribute("href", "/jobs/j1");
    expect(named).toHaveTextContent("/tmp 7");
    expect(named).not.toHaveTextContent("SECRET-BODY");
    expect(within(deleted!).queryByTestId("command-script-link")).not.toBeInTheDocument();
    expect(deleted).toHaveTextContent("deleted script v4");
  });

  it("runs a command again after asking, and opens the new command's output", async () => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST" && new URL(request.url).pathname === "/api/v1/commands/c3/rerun") {
        return new Response(JSON.stringify(command("c9", { status: "queued", agent_id: AGENT_ID })), {
          status: 201,
          headers: { "Content-Type": "application/json" },
        });
      }
      return new Response(JSON.stringify({ error: { code: "not_found", message: "not found" } }), { status: 404 });
    });
    const onSearchChange = renderHistory({}, { items: [fromScript("c3", "Clean temp")], total: 1, page: 1, per_page: 15 });
    await userEvent.click(await screen.findByRole("button", { name: "Run again: Clean temp version 4" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Runs Clean temp version 4 again on this agent");
    expect(dialog).toHaveTextContent("Arguments: /tmp 7");
    expect(onSearchChange).not.toHaveBeenCalled();
    await userEvent.click(within(dialog).getByRole("button", { name: "Run again" }));
    await vi.waitFor(() => expect(onSearchChange).toHaveBeenLastCalledWith({ command: "c9" }));
    expect(fetchMock.mock.calls.filter(([input]) => (input as Request).method === "POST")).toHaveLength(1);
  });

  it("edits and runs a command, asking again for values hidden from this user instead of sending them", async () => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST" && new URL(request.url).pathname === `/api/v1/agents/${AGENT_ID}/commands`) {
        return new Response(JSON.stringify(command("c9", { status: "queued" })), {
          status: 201,
          headers: { "Content-Type": "application/json" },
        });
      }
      return new Response(JSON.stringify({ error: { code: "not_found", message: "not found" } }), { status: 404 });
    });
    const withSecrets = command("c4", { command: "deploy", env: { API_KEY: "********", LANG: "********" }, secrets_hidden: true });
    const onSearchChange = renderHistory({}, { items: [withSecrets], total: 1, page: 1, per_page: 15 });

    await userEvent.click(await screen.findByRole("button", { name: "Run again: deploy" }));
    const confirm = await screen.findByRole("alertdialog");
    expect(confirm).toHaveTextContent("API_KEY=hidden");
    expect(confirm).not.toHaveTextContent("********");
    await userEvent.click(within(confirm).getByRole("button", { name: "Cancel" }));

    await userEvent.click(screen.getByRole("button", { name: "Edit and run: deploy" }));
    const dialog = await screen.findByTestId("edit-and-run-dialog");
    expect(within(dialog).getByTestId("command-input")).toHaveValue("deploy");
    const env = within(dialog).getByLabelText("Environment (NAME=value per line)");
    expect(env).toHaveValue("API_KEY=\nLANG=");
    expect(within(dialog).getByTestId("reenter-env-note")).toHaveTextContent("The values of API_KEY, LANG are hidden");
    expect(dialog.innerHTML).not.toContain("********");

    await userEvent.click(within(dialog).getByTestId("run-command-button"));
    expect(within(dialog).getByTestId("run-command-env-error")).toHaveTextContent("Enter the values of API_KEY, LANG again");
    expect(fetchMock.mock.calls.filter(([input]) => (input as Request).method === "POST")).toHaveLength(0);

    await userEvent.clear(env);
    await userEvent.type(env, "API_KEY=k-1");
    await userEvent.click(within(dialog).getByTestId("run-command-button"));
    await vi.waitFor(() => expect(onSearchChange).toHaveBeenLastCalledWith({ command: "c9" }));
    const posted = fetchMock.mock.calls.map(([input]) => input as Request).find((request) => request.method === "POST");
    expect(await posted?.json()).toMatchObject({ command: "deploy", env: { API_KEY: "k-1" } });
  });

  it("does not offer Run again to readonly users", async () => {
    const page = { items: [command("c1", {})], total: 1, page: 1, per_page: 15 };
    renderHistory({}, page, vi.fn(), { role: "readonly" });
    await screen.findAllByTestId("command-row");
    expect(screen.queryByTestId("rerun-command-button")).not.toBeInTheDocument();
  });

  it("does not offer Run again on a deleted agent", async () => {
    renderHistory({}, { items: [command("c1", {})], total: 1, page: 1, per_page: 15 }, vi.fn(), { allowRerun: false });
    await screen.findAllByTestId("command-row");
    expect(screen.queryByTestId("rerun-command-button")).not.toBeInTheDocument();
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
