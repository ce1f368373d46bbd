import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Job } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { agentSummary, pageOf, script } from "@/test/fixtures";
import { RunScriptOnTargetButton } from "./run-script-on-target";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const cleanup = script();
const greet = script(
  { id: "s2", name: "Greet", category: "" },
  { version: 1, parameters: [{ name: "Who", type: "string", required: true }] },
);
const job = { id: "j1", name: "Greet v1" } as Job;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function requestTo(method: string, path: string): Request | undefined {
  return fetchMock.mock.calls
    .map(([input]) => input as Request)
    .find((request) => request.method === method && new URL(request.url).pathname === path);
}

describe("RunScriptOnTargetButton", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (request.method === "GET" && path === "/api/v1/scripts") return json(pageOf([cleanup, greet]));
      // Page one of the picker does not hold the prefilled agent: its chip still shows its name.
      if (request.method === "GET" && path === "/api/v1/agents") return json(pageOf([agentSummary({ id: "other", hostname: "pc-99" })]));
      if (request.method === "POST" && path === "/api/v1/scripts/s2/run") return json(job, 201);
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  it("runs a script picked from the library on the agent the page is about", async () => {
    const onJobStarted = vi.fn();
    renderPage(
      <RunScriptOnTargetButton
        target={{ kind: "agents", agentIds: ["a1"] }}
        targetLabel="pc-01"
        agentNames={{ a1: "pc-01" }}
        onJobStarted={onJobStarted}
      />,
    );
    await userEvent.click(await screen.findByRole("button", { name: "Run script" }));
    const dialog = await screen.findByTestId("run-script-on-target-dialog");
    expect(within(dialog).getByRole("heading", { name: "Run a script on pc-01" })).toBeInTheDocument();
    await userEvent.click(await within(dialog).findByRole("button", { name: /^Greet/ }));
    expect(within(dialog).getByRole("heading", { name: "Run Greet on pc-01" })).toBeInTheDocument();
    expect(within(dialog).getByTestId("selected-agents")).toHaveTextContent("pc-01");

    await userEvent.type(within(dialog).getByTestId("run-parameter-Who"), "world");
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));
    await waitFor(() => expect(onJobStarted).toHaveBeenCalledWith(job));
    expect(await requestTo("POST", "/api/v1/scripts/s2/run")?.json()).toEqual({
      targets: { agent_ids: ["a1"] },
      parameters: { Who: "world" },
    });
    await waitFor(() => expect(screen.queryByTestId("run-script-on-target-dialog")).not.toBeInTheDocument());
  });

  it("starts from a site or a client the same way, and goes back to the list for another script", async () => {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (path === "/api/v1/scripts") return json(pageOf([cleanup]));
      if (path === "/api/v1/clients") return json(pageOf([{ id: "c1", name: "Acme", site_count: 1, agent_count: 3, created_at: "" }]));
      if (path === "/api/v1/clients/c1/sites") return json(pageOf([]));
      if (request.method === "POST" && path === "/api/v1/scripts/s1/run") return json(job, 201);
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
    const onJobStarted = vi.fn();
    renderPage(
      <RunScriptOnTargetButton target={{ kind: "client", clientId: "c1" }} targetLabel="client Acme" onJobStarted={onJobStarted} />,
    );
    await userEvent.click(await screen.findByRole("button", { name: "Run script" }));
    const dialog = await screen.findByTestId("run-script-on-target-dialog");
    await userEvent.click(await within(dialog).findByRole("button", { name: /^Clean temp/ }));
    expect(within(dialog).getByTestId("target-kind-client")).toHaveAttribute("aria-checked", "true");
    await userEvent.click(within(dialog).getByTestId("choose-another-script"));
    await userEvent.click(await within(dialog).findByRole("button", { name: /^Clean temp/ }));
    await userEvent.click(within(dialog).getByTestId("run-script-submit"));
    await waitFor(() => expect(onJobStarted).toHaveBeenCalledWith(job));
    expect(await requestTo("POST", "/api/v1/scripts/s1/run")?.json()).toEqual({ targets: { client_id: "c1" }, parameters: { Days: 7 } });
  });

  it("is not there for readonly users", async () => {
    renderPage(
      <>
        <h1>Agent pc-01</h1>
        <RunScriptOnTargetButton target={{ kind: "agents", agentIds: ["a1"] }} targetLabel="pc-01" onJobStarted={vi.fn()} />
      </>,
      { role: "readonly" },
    );
    await screen.findByRole("heading", { name: "Agent pc-01" });
    expect(screen.queryByRole("button", { name: "Run script" })).not.toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
