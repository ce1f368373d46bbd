import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { AgentDetail } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { agentDetail, pageOf } from "@/test/fixtures";
import { agentKeys } from "../api/agents";
import { AgentDetailsCard } from "./agent-details-card";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

// Radix Select uses pointer capture and scrolling, which jsdom lacks.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const refusal = (message: string) => json({ error: { code: "validation_failed", message } }, 422);

/** Answers PATCH with `answer(body)` and every GET from `pages` by path. */
function serve(answer: (body: Record<string, unknown>) => Response, pages: Record<string, unknown> = {}) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    if (request.method === "PATCH") return answer(JSON.parse(await request.clone().text()) as Record<string, unknown>);
    return json(pages[new URL(request.url).pathname] ?? pageOf([]));
  });
}

async function patchBodies(): Promise<unknown[]> {
  const patches = fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method === "PATCH");
  return Promise.all(patches.map(async (request) => JSON.parse(await request.clone().text()) as unknown));
}

function renderCard(agent: AgentDetail, role: "technician" | "readonly" = "technician") {
  return renderPage(<AgentDetailsCard agent={agent} />, { role, seed: [[agentKeys.detail(agent.id), agent]] });
}

async function choose(dialog: HTMLElement, field: string, option: string) {
  await userEvent.click(within(dialog).getByLabelText(field));
  await userEvent.click(await screen.findByRole("option", { name: option }));
}

describe("AgentDetailsCard", () => {
  // In braces: a function returned from beforeEach is run as a cleanup, and mockReset returns the mock.
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("shows the agent's name, tags (each a link to the list filtered by it) and notes", async () => {
    renderCard(agentDetail({ alias: "Front desk", tags: ["reception", "windows"], notes: "Under the desk.\nAsk Ann." }));
    expect(await screen.findByTestId("agent-alias")).toHaveTextContent("Front desk");
    expect(screen.getByRole("link", { name: "reception" })).toHaveAttribute("href", "/agents?tag=reception");
    expect(screen.getByTestId("agent-notes")).toHaveTextContent("Under the desk. Ask Ann.");
  });

  it("offers no changes to readonly users", async () => {
    renderCard(agentDetail(), "readonly");
    expect(await screen.findByText("No name, tags or notes yet.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Edit details/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /Move to site/ })).toBeNull();
  });

  it("saves the name, tags and notes as the server stores them", async () => {
    const agent = agentDetail({ alias: "Old name", notes: "keep me" });
    serve((body) => json({ ...agent, ...body }));
    renderCard(agent);
    await userEvent.click(await screen.findByRole("button", { name: /Edit details/ }));
    const dialog = await screen.findByRole("dialog");
    const name = within(dialog).getByLabelText("Name");
    expect(name).toHaveValue("Old name");
    await userEvent.clear(name);
    await userEvent.type(name, " Front desk ");
    await userEvent.type(within(dialog).getByLabelText("Tags"), "Reception, windows, RECEPTION");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await patchBodies()).toEqual([{ alias: "Front desk", tags: ["reception", "windows"], notes: "keep me" }]);
  });

  it("shows a mistake next to its field before sending, and the server's refusal on the field it names", async () => {
    serve(() => refusal("alias must not contain control, bidirectional or other invisible characters"));
    renderCard(agentDetail());
    await userEvent.click(await screen.findByRole("button", { name: /Edit details/ }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Tags"), 'say "hi"');
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await within(dialog).findByTestId("agent-tags-error")).toHaveTextContent("quotes");
    expect(fetchMock).not.toHaveBeenCalled();

    await userEvent.clear(within(dialog).getByLabelText("Tags"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "fine");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await within(dialog).findByTestId("agent-alias-error")).toHaveTextContent("alias must not contain control");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
  });

  it("moves the agent to a site of another client", async () => {
    const agent = agentDetail({ client_id: "c", client_name: "Acme", site_id: "s", site_name: "HQ" });
    serve((body) => json({ ...agent, site_id: body.site_id, site_name: "Plant", client_id: "g", client_name: "Globex" }), {
      "/api/v1/clients": pageOf([
        { id: "c", name: "Acme", site_count: 1, agent_count: 1, created_at: "2026-01-01T00:00:00Z" },
        { id: "g", name: "Globex", site_count: 2, agent_count: 0, created_at: "2026-01-01T00:00:00Z" },
      ]),
      "/api/v1/clients/c/sites": pageOf([
        { id: "s", client_id: "c", client_name: "Acme", name: "HQ", agent_count: 1, created_at: "2026-01-01T00:00:00Z" },
      ]),
      "/api/v1/clients/g/sites": pageOf([
        { id: "p", client_id: "g", client_name: "Globex", name: "Plant", agent_count: 0, created_at: "2026-01-01T00:00:00Z" },
        { id: "w", client_id: "g", client_name: "Globex", name: "Warehouse", agent_count: 0, created_at: "2026-01-01T00:00:00Z" },
      ]),
    });
    renderCard(agent);
    await userEvent.click(await screen.findByRole("button", { name: /Move to site/ }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("Now in Acme / HQ");
    const move = within(dialog).getByRole("button", { name: "Move agent" });
    expect(move).toBeDisabled();
    await choose(dialog, "Client", "Globex");
    // The site list is Globex's once it has loaded.
    await waitFor(() => expect(within(dialog).getByLabelText("Site")).toBeEnabled());
    await choose(dialog, "Site", "Plant");
    await userEvent.click(move);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await patchBodies()).toEqual([{ site_id: "p" }]);
  });
});
