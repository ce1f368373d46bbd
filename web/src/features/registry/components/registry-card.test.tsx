import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Command, RegistryAnswer, RegistryOperation } from "@/api/types";
import { LiveEventsProvider } from "@/lib/live-events";
import { agentDetail, command } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { RegistryCard } from "./registry-card";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const AGENT_ID = "9d3c1b8e-6a3f-4f0e-8c1d-2b7a5e4f3c21";
const windowsAgent = agentDetail({ id: AGENT_ID, status: "online", os: { family: "windows", name: "Windows 11 Pro", version: "23H2" } });

const SOFTWARE: RegistryAnswer = {
  answer: "key",
  subkeys: ["Contoso", "Microsoft"],
  values: [
    { name: "", value: { type: "REG_SZ", data: "default text" } },
    { name: "Level", value: { type: "REG_DWORD", data: 3 } },
    { name: "Blob", value: { type: "REG_BINARY", data: "01abff" } },
    { name: "Paths", value: { type: "REG_MULTI_SZ", data: ["C:\\a", "C:\\b"] } },
  ],
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** The agent as a stub: every operation ends at once, failing as `failure` says, a listing answers `listing`. */
function answerOperations(listing: RegistryAnswer, failure: (operation: RegistryOperation) => string | null = () => null) {
  const sent: RegistryOperation[] = [];
  const commands = new Map<string, Command>();
  fetchMock.mockImplementation(async (input) => {
    // Something in the page's providers calls fetch without a request; only API requests matter here.
    if (!(input instanceof Request)) return json({});
    const request = input;
    if (request.method === "POST" && request.url.endsWith(`/api/v1/agents/${AGENT_ID}/registry`)) {
      const operation = (await request.json()) as RegistryOperation;
      sent.push(operation);
      const done = command({
        id: `c${sent.length}`,
        agent_id: AGENT_ID,
        command_type: "registry",
        command: JSON.stringify(operation),
        status: failure(operation) ? "failed" : "completed",
        error: failure(operation),
        registry: failure(operation) ? null : operation.operation === "list_key" ? listing : { answer: "done" },
      });
      commands.set(done.id, done);
      return json(done, 201);
    }
    const id = request.url.match(/\/api\/v1\/commands\/([^/?]+)$/)?.[1];
    if (id && commands.has(id)) return json(commands.get(id));
    return json({ items: [], total: 0, page: 1, per_page: 15 });
  });
  return sent;
}

function renderCard(role: "technician" | "readonly" = "technician", agent = windowsAgent) {
  renderPage(
    <LiveEventsProvider session={null}>
      <RegistryCard agent={agent} />
    </LiveEventsProvider>,
    { role },
  );
}

describe("RegistryCard", () => {
  beforeEach(() => fetchMock.mockReset());

  it("is not there for a user who may not run commands, nor on a Linux agent", () => {
    renderCard("readonly");
    expect(screen.queryByTestId("registry-card")).not.toBeInTheDocument();
    renderCard("technician", { ...windowsAgent, os: { family: "linux", name: "Debian", version: "12" } });
    expect(screen.queryByTestId("registry-card")).not.toBeInTheDocument();
  });

  it("lists a key as regedit shows it and opens a subkey by clicking it", async () => {
    const sent = answerOperations(SOFTWARE);
    renderCard();
    await userEvent.click(await screen.findByRole("button", { name: "Browse registry" }));
    const values = await screen.findByRole("table", { name: "Values of HKLM" });
    const row = (name: string) => within(values).getByRole("row", { name: new RegExp(`^${name}`) });
    expect(row("\\(Default\\)")).toHaveTextContent("default text");
    expect(row("Level")).toHaveTextContent("REG_DWORD0x00000003 (3)");
    expect(row("Blob")).toHaveTextContent("01 ab ff");
    expect(row("Paths")).toHaveTextContent("C:\\a C:\\b");
    expect(sent).toEqual([{ operation: "list_key", hive: "HKLM", path: "" }]);

    await userEvent.click(within(screen.getByRole("region", { name: "Subkeys" })).getByRole("button", { name: "Contoso" }));
    await screen.findByRole("table", { name: "Values of HKLM\\Contoso" });
    expect(within(screen.getByRole("navigation", { name: "Registry path" })).getByText("Contoso")).toHaveAttribute(
      "aria-current",
      "location",
    );
    expect(sent.at(-1)).toEqual({ operation: "list_key", hive: "HKLM", path: "Contoso" });

    // A path pasted from regedit's address bar.
    const pathBox = screen.getByRole("textbox", { name: "Key path" });
    await userEvent.clear(pathBox);
    await userEvent.type(pathBox, "Computer\\HKEY_CURRENT_USER\\Software{Enter}");
    await screen.findByRole("table", { name: "Values of HKCU\\Software" });
    expect(sent.at(-1)).toEqual({ operation: "list_key", hive: "HKCU", path: "Software" });
  });

  it("refuses an invalid DWORD without sending anything, then writes a valid one and lists the key again", async () => {
    const sent = answerOperations(SOFTWARE);
    renderCard();
    await userEvent.click(await screen.findByRole("button", { name: "Browse registry" }));
    await screen.findByRole("table", { name: "Values of HKLM" });
    await userEvent.click(screen.getByRole("button", { name: "Edit Level" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit Level" });
    const data = within(dialog).getByRole("textbox", { name: "Data" });
    expect(data).toHaveValue("3");
    await userEvent.clear(data);
    await userEvent.type(data, "abc");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save value" }));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("decimal (3) or hex (0x3)");
    expect(sent).toHaveLength(1);

    await userEvent.clear(data);
    await userEvent.type(data, "0x10");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save value" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(sent[1]).toEqual({ operation: "set_value", hive: "HKLM", path: "", name: "Level", value: { type: "REG_DWORD", data: 16 } });
    await waitFor(() => expect(sent).toHaveLength(3));
    expect(sent[2]).toEqual({ operation: "list_key", hive: "HKLM", path: "" });
  });

  it("creates a key below the open one, refusing a name with a backslash", async () => {
    const sent = answerOperations(SOFTWARE);
    renderCard();
    await userEvent.click(await screen.findByRole("button", { name: "Browse registry" }));
    await screen.findByRole("table", { name: "Values of HKLM" });
    await userEvent.click(screen.getByRole("button", { name: "New key" }));
    const dialog = await screen.findByRole("dialog", { name: "New key" });
    await userEvent.type(within(dialog).getByLabelText("Key name"), "A\\B");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("cannot contain \\");
    expect(sent).toHaveLength(1);
    await userEvent.clear(within(dialog).getByLabelText("Key name"));
    await userEvent.type(within(dialog).getByLabelText("Key name"), "GuruRMM");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    await waitFor(() => expect(sent).toHaveLength(3));
    expect(sent.slice(1)).toEqual([
      { operation: "create_key", hive: "HKLM", path: "GuruRMM" },
      { operation: "list_key", hive: "HKLM", path: "" },
    ]);
  });

  it("says an offline agent runs the operation when it reconnects", async () => {
    fetchMock.mockImplementation(async (input) => {
      if (!(input instanceof Request)) return json({});
      return json(
        command({ id: "q1", agent_id: AGENT_ID, command_type: "registry", status: "queued" }),
        input.method === "POST" ? 201 : 200,
      );
    });
    renderCard("technician", { ...windowsAgent, status: "offline" });
    await userEvent.click(await screen.findByRole("button", { name: "Browse registry" }));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "Reading HKLM: waiting for the agent… The agent is offline; the operation runs when it reconnects.",
    );
  });

  it("shows a failed operation in the agent's words", async () => {
    answerOperations(SOFTWARE, (operation) => (operation.path === "SOFTWARE\\Nope" ? "the key HKLM\\SOFTWARE\\Nope does not exist" : null));
    renderCard();
    await userEvent.click(await screen.findByRole("button", { name: "Browse registry" }));
    await screen.findByRole("table", { name: "Values of HKLM" });
    const pathBox = screen.getByRole("textbox", { name: "Key path" });
    await userEvent.clear(pathBox);
    await userEvent.type(pathBox, "HKLM\\SOFTWARE\\Nope{Enter}");
    expect(await screen.findByTestId("registry-listing-error")).toHaveTextContent("the key HKLM\\SOFTWARE\\Nope does not exist");
  });
});
