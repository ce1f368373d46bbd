import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { AgentPage, Job } from "@/api/types";
import { Button } from "@/components/ui/button";
import { renderPage } from "@/test/render-page";
import { RunScriptDialog } from "./run-script-dialog";
import { agentDetail, agentSummary, pageOf, script as scriptFixture } from "@/test/fixtures";

const script = scriptFixture(
  { name: "Greet", description: "", category: "" },
  {
    version: 2,
    body: 'echo "hello $1"',
    parameters: [
      { name: "Name", type: "string", required: true },
      { name: "Times", type: "number", default: "2" },
      { name: "Loud", type: "boolean" },
    ],
  },
);

const agents: AgentPage = pageOf([
  agentSummary({
    id: "a1",
    hostname: "pc-01",
    last_seen: "2026-01-01T00:00:00Z",
    os: { family: "linux", name: "Debian", version: "12", kernel: "6.1" },
  }),
]);

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const job = { id: "j1", name: "Greet v2" } as Job;

// The list never holds a value; the form sends the entry's id alone.
const vault = {
  items: [
    {
      id: "e1",
      client_id: "c1",
      site_id: null,
      name: "Domain admin",
      kind: "password",
      username: "ACME\\administrator",
      url: null,
      notes: "",
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      created_by_email: "a@example.com",
      updated_by_email: "a@example.com",
    },
  ],
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function requestTo(method: string, path: string): Request | undefined {
  return fetchMock.mock.calls
    .map(([input]) => input as Request)
    .find((request) => request.method === method && new URL(request.url).pathname === path);
}

// Radix's select asks the pointer and scrolling APIs jsdom lacks.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

describe("RunScriptDialog", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (request.method === "GET" && path === "/api/v1/agents") return json(agents);
      if (request.method === "POST" && path === "/api/v1/scripts/s1/run") return json(job, 201);
      if (request.method === "GET" && path === "/api/v1/agents/a1") return json(agentDetail({ id: "a1", client_id: "c1" }));
      if (request.method === "GET" && path === "/api/v1/clients/c1/vault") return json(vault);
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  it("sends typed parameter values and the picked agents, then reports the job", async () => {
    const onJobStarted = vi.fn();
    renderPage(<RunScriptDialog script={script} onJobStarted={onJobStarted} trigger={<Button>Run</Button>} />);
    await userEvent.click(await screen.findByRole("button", { name: "Run" }));
    const dialog = await screen.findByTestId("run-script-dialog");
    expect(within(dialog).getByTestId("run-parameter-Times")).toHaveValue("2");

    // Nothing picked yet: the required parameter and the target are asked for, nothing is sent.
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Name is required.");
    await userEvent.type(within(dialog).getByTestId("run-parameter-Name"), `it's "me"`);
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));
    expect(within(dialog).getByTestId("run-targets-error")).toHaveTextContent("Pick at least one agent.");
    expect(requestTo("POST", "/api/v1/scripts/s1/run")).toBeUndefined();

    await userEvent.click(await within(dialog).findByTestId("target-agent-checkbox"));
    await userEvent.click(within(dialog).getByTestId("run-parameter-Loud"));
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));

    await waitFor(() => expect(onJobStarted).toHaveBeenCalledWith(job));
    const request = requestTo("POST", "/api/v1/scripts/s1/run");
    expect(await request?.json()).toEqual({
      targets: { agent_ids: ["a1"] },
      parameters: { Name: `it's "me"`, Times: 2, Loud: true },
    });
  });

  it("runs a secret parameter from a password field, leaving out a hidden default left empty", async () => {
    const secret = scriptFixture(
      { name: "Deploy" },
      {
        secrets_hidden: true,
        parameters: [
          { name: "Host", type: "string", default: "db1" },
          { name: "Password", type: "secret", default: "********", required: true },
          { name: "Token", type: "secret" },
        ],
      },
    );
    renderPage(<RunScriptDialog script={secret} onJobStarted={vi.fn()} trigger={<Button>Run</Button>} />);
    await userEvent.click(await screen.findByRole("button", { name: "Run" }));
    const dialog = await screen.findByTestId("run-script-dialog");
    const password = within(dialog).getByTestId("run-parameter-Password");
    expect(password).toHaveAttribute("type", "password");
    expect(password).toHaveValue("");
    expect(password).toHaveAttribute("placeholder", "default set (hidden)");
    expect(dialog).toHaveTextContent("env only");
    expect(dialog.innerHTML).not.toContain("********");

    await userEvent.type(within(dialog).getByTestId("run-parameter-Token"), "t0ken");
    const [showToken] = within(dialog).getAllByRole("button", { name: "Show the value" }).slice(-1);
    await userEvent.click(showToken!);
    expect(within(dialog).getByTestId("run-parameter-Token")).toHaveAttribute("type", "text");
    await userEvent.click(await within(dialog).findByTestId("target-agent-checkbox"));
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));
    await waitFor(() => expect(requestTo("POST", "/api/v1/scripts/s1/run")).toBeDefined());
    expect(await requestTo("POST", "/api/v1/scripts/s1/run")?.json()).toEqual({
      targets: { agent_ids: ["a1"] },
      parameters: { Host: "db1", Token: "t0ken" },
    });
  });

  it("takes a secret parameter from the vault of the picked agent's client, sending only the entry", async () => {
    const secret = scriptFixture({ name: "Join" }, { parameters: [{ name: "Password", type: "secret", required: true }] });
    renderPage(<RunScriptDialog script={secret} onJobStarted={vi.fn()} trigger={<Button>Run</Button>} />);
    await userEvent.click(await screen.findByRole("button", { name: "Run" }));
    const dialog = await screen.findByTestId("run-script-dialog");
    await userEvent.click(within(dialog).getByTestId("run-parameter-source-Password-vault"));
    expect(within(dialog).getByTestId("run-parameter-vault-Password")).toHaveTextContent("Pick where to run first");
    await userEvent.click(await within(dialog).findByTestId("target-agent-checkbox"));
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Pick an entry of the vault.");

    await waitFor(() => expect(within(dialog).getByTestId("run-parameter-vault-Password")).toHaveTextContent("Pick an entry"));
    await userEvent.click(within(dialog).getByTestId("run-parameter-vault-Password"));
    await userEvent.click(await screen.findByRole("option", { name: "Domain admin (Password)" }));
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));
    await waitFor(() => expect(requestTo("POST", "/api/v1/scripts/s1/run")).toBeDefined());
    expect(await requestTo("POST", "/api/v1/scripts/s1/run")?.json()).toEqual({
      targets: { agent_ids: ["a1"] },
      parameters: { Password: { vault_entry_id: "e1" } },
    });
  });
});
