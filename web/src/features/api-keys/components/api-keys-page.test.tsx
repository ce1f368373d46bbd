import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Role } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { apiKeyKeys, type ApiKey, type ApiKeyCreated } from "../api/api-keys";
import { ApiKeysPage } from "./api-keys-page";

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

const HOUR = 3_600_000;
const SECRET = "gra_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

function apiKey(overrides: Partial<ApiKey> & Pick<ApiKey, "id" | "name">): ApiKey {
  // `renderPage` signs in as user "u", tech@example.com.
  return {
    prefix: "gra_01234567",
    permissions: ["view_agents"],
    user_id: "u",
    user_email: "tech@example.com",
    created_at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    expires_at: null,
    last_used_at: new Date(Date.now() - 2 * HOUR).toISOString(),
    revoked_at: null,
    ...overrides,
  };
}

const backups = apiKey({ id: "k1", name: "Backups", permissions: ["view_agents", "run_scripts"] });
const unused = apiKey({
  id: "k2",
  name: "Inventory export",
  prefix: "gra_fedcba98",
  last_used_at: null,
  expires_at: new Date(Date.now() + 10 * 86_400_000 + HOUR).toISOString(),
});
const revoked = apiKey({ id: "k3", name: "Old monitor", revoked_at: new Date(Date.now() - HOUR).toISOString() });

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function requests(method: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method === method);
}

function renderKeys(keys: ApiKey[] = [backups, unused, revoked], role: Role = "technician") {
  return renderPage(<ApiKeysPage />, { role, seed: [[apiKeyKeys.list, { items: keys }]] });
}

async function row(name: string): Promise<HTMLElement> {
  await screen.findByTestId("api-keys-table");
  const found = screen.getAllByTestId("api-key-row").find((candidate) => candidate.getAttribute("data-name") === name);
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

async function openCreateDialog(): Promise<HTMLElement> {
  await userEvent.click(await screen.findByRole("button", { name: "New API key" }));
  return screen.findByTestId("create-api-key-dialog");
}

describe("ApiKeysPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async () => json({ items: [] }));
  });

  it("lists each key's name, prefix, permissions, expiry, last use and status", async () => {
    renderKeys();
    const backupsRow = await row("Backups");
    expect(backupsRow).toHaveTextContent("gra_01234567…");
    expect(within(backupsRow).getByTestId("api-key-permissions")).toHaveTextContent("view_agentsrun_scripts");
    expect(within(backupsRow).getByTestId("api-key-expires")).toHaveTextContent("never");
    expect(within(backupsRow).getByTestId("api-key-last-used")).toHaveTextContent("2 hours ago");
    expect(within(backupsRow).getByTestId("api-key-status")).toHaveTextContent("Active");
    const unusedRow = await row("Inventory export");
    expect(within(unusedRow).getByTestId("api-key-last-used")).toHaveTextContent("never");
    expect(within(unusedRow).getByTestId("api-key-expires")).toHaveTextContent("in 10 days");
    const revokedRow = await row("Old monitor");
    expect(within(revokedRow).getByTestId("api-key-status")).toHaveTextContent("Revoked");
    expect(within(revokedRow).queryByRole("button", { name: "Revoke Old monitor" })).toBeNull();
    // Only one's own keys: no owner column.
    expect(screen.queryByTestId("api-key-owner")).toBeNull();
  });

  it("names each key's owner when the server answers colleagues' keys too", async () => {
    renderKeys([backups, apiKey({ id: "k9", name: "Their script", user_id: "t1", user_email: "tina@example.com" })], "admin");
    expect(within(await row("Their script")).getByTestId("api-key-owner")).toHaveTextContent("tina@example.com");
    expect(within(await row("Backups")).getByTestId("api-key-owner")).toHaveTextContent("You");
  });

  it("says when there is no key yet", async () => {
    renderKeys([]);
    expect(await screen.findByTestId("no-api-keys")).toHaveTextContent("No API key yet");
  });

  it("offers only the signed-in user's own permissions", async () => {
    renderKeys([], "readonly");
    const dialog = await openCreateDialog();
    const offered = within(dialog)
      .getAllByTestId("api-key-permission")
      .map((box) => box.getAttribute("data-permission"));
    expect(offered).toEqual(["view_agents"]);
  });

  it("checks the form before sending it", async () => {
    renderKeys([]);
    const dialog = await openCreateDialog();
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(within(dialog).getByTestId("api-key-name-error")).toHaveTextContent("Give the key a name");
    expect(within(dialog).getByTestId("api-key-permissions-error")).toHaveTextContent("Choose at least one permission.");
    expect(requests("POST")).toHaveLength(0);
  });

  it("creates a key and shows its secret once, with a copy button and a warning", async () => {
    const created: ApiKeyCreated = {
      ...apiKey({ id: "k4", name: "Nightly report", permissions: ["view_agents", "run_commands"], last_used_at: null }),
      key: SECRET,
    };
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST") return json(created, 201);
      return json({ items: [created, backups] });
    });
    renderKeys([backups]);
    let dialog = await openCreateDialog();
    await userEvent.type(within(dialog).getByLabelText("Name"), "  Nightly report ");
    // Ticked out of order, sent in the server's order.
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /^run_commands/ }));
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /^view_agents/ }));
    await userEvent.click(within(dialog).getByTestId("api-key-expiry"));
    await userEvent.click(await screen.findByRole("option", { name: "Never (until revoked)" }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));

    expect(await within(dialog).findByTestId("api-key-secret")).toHaveTextContent(SECRET);
    expect(within(dialog).getByTestId("api-key-shown-once")).toHaveTextContent("You will not see it again");
    expect(within(dialog).getByRole("button", { name: "Copy key" })).toBeInTheDocument();
    const [post] = requests("POST");
    expect(new URL(post!.url).pathname).toBe("/api/v1/api-keys");
    expect(await post!.clone().json()).toEqual({ name: "Nightly report", permissions: ["view_agents", "run_commands"], expires_at: null });

    // Closed, the secret is gone for good: the list shows the key, and opening the dialog again asks for a new one.
    await userEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(screen.queryByTestId("create-api-key-dialog")).toBeNull());
    await row("Nightly report");
    expect(screen.queryByText(SECRET)).toBeNull();
    dialog = await openCreateDialog();
    expect(within(dialog).queryByTestId("api-key-secret")).toBeNull();
    expect(within(dialog).getByLabelText("Name")).toHaveValue("");
  });

  it("sends a preset expiry as a moment that many days away", async () => {
    fetchMock.mockImplementation(async (input) =>
      (input as Request).method === "POST" ? json({ ...apiKey({ id: "k5", name: "Short" }), key: SECRET }, 201) : json({ items: [] }),
    );
    renderKeys([]);
    const dialog = await openCreateDialog();
    await userEvent.type(within(dialog).getByLabelText("Name"), "Short");
    await userEvent.click(within(dialog).getByRole("button", { name: "Choose all" }));
    const before = Date.now();
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    await within(dialog).findByTestId("api-key-secret");
    const body = (await requests("POST")[0]!.clone().json()) as { permissions: string[]; expires_at: string };
    expect(body.permissions).toHaveLength(6);
    // The default: 90 days.
    const days = (Date.parse(body.expires_at) - before) / 86_400_000;
    expect(days).toBeGreaterThan(89.99);
    expect(days).toBeLessThan(90.01);
  });

  it("shows the server's refusal on the field it names", async () => {
    fetchMock.mockImplementation(async (input) =>
      (input as Request).method === "POST"
        ? json({ error: { code: "invalid", message: "name: give a name of 1 to 100 characters" } }, 422)
        : json({ items: [] }),
    );
    renderKeys([]);
    const dialog = await openCreateDialog();
    await userEvent.type(within(dialog).getByLabelText("Name"), "Fine here");
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /^view_agents/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(await within(dialog).findByTestId("api-key-name-error")).toHaveTextContent("Give a name of 1 to 100 characters");
    expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(within(dialog).queryByTestId("api-key-secret")).toBeNull();
  });

  it("shows a refusal that names no field above the button", async () => {
    fetchMock.mockImplementation(async (input) =>
      (input as Request).method === "POST"
        ? json({ error: { code: "conflict", message: "you have 50 keys already; revoke one you no longer use" } }, 409)
        : json({ items: [] }),
    );
    renderKeys([]);
    const dialog = await openCreateDialog();
    await userEvent.type(within(dialog).getByLabelText("Name"), "One more");
    await userEvent.click(within(dialog).getByRole("checkbox", { name: /^view_agents/ }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(await within(dialog).findByTestId("api-key-failure")).toHaveTextContent("you have 50 keys already");
  });

  it("revokes a key after asking", async () => {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "DELETE") return new Response(null, { status: 204 });
      return json({ items: [{ ...backups, revoked_at: new Date().toISOString() }, unused] });
    });
    renderKeys([backups, unused]);
    await userEvent.click(within(await row("Backups")).getByRole("button", { name: "Revoke Backups" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Revoke Backups?");
    expect(dialog).toHaveTextContent("It stops working at once");
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    const [revoke] = requests("DELETE");
    expect(new URL(revoke!.url).pathname).toBe("/api/v1/api-keys/k1");
    await waitFor(async () => expect(within(await row("Backups")).getByTestId("api-key-status")).toHaveTextContent("Revoked"));
  });

  it("asking is not revoking: cancel sends nothing", async () => {
    renderKeys([backups]);
    await userEvent.click(within(await row("Backups")).getByRole("button", { name: "Revoke Backups" }));
    await userEvent.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    expect(requests("DELETE")).toHaveLength(0);
  });
});
