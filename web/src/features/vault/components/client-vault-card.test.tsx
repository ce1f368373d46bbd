import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { currentUserQueryKey } from "@/lib/auth";
import { renderPage, testUser } from "@/test/render-page";
import { vaultKeys, type VaultEntry } from "../api/vault";
import { ClientVaultCard } from "./client-vault-card";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const CLIENT_ID = "6f0c1a57-0e7c-4b36-9d0b-8a1f4a5b2c11";
const SITE_ID = "2c1f8f47-5049-4dc7-8e5b-3f5b9f1f9b22";
const SECRET = "Tr0ub4dor&3-very-secret";

function entry(overrides: Partial<VaultEntry>): VaultEntry {
  return {
    id: "e",
    client_id: CLIENT_ID,
    created_at: new Date(Date.now() - 3_600_000).toISOString(),
    created_by_email: "alice@msp.example",
    updated_at: new Date(Date.now() - 3_600_000).toISOString(),
    updated_by_email: "bob@msp.example",
    kind: "password",
    name: "Domain admin",
    notes: "Break-glass account",
    site_id: null,
    url: "https://dc01.acme.example",
    username: "ACME\\administrator",
    ...overrides,
  };
}

const entries: VaultEntry[] = [
  entry({ id: "e1" }),
  entry({ id: "e2", name: "Firewall", kind: "ssh_key", site_id: SITE_ID, url: "ssh://10.0.0.1", username: "root", notes: "" }),
];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function failure(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

function renderCard(role: "admin" | "technician" | "readonly", items: VaultEntry[] = entries) {
  return renderPage(<ClientVaultCard clientId={CLIENT_ID} />, {
    role,
    seed: [
      [vaultKeys.ofClient(CLIENT_ID), { items }],
      [vaultKeys.sitesOfClient(CLIENT_ID), { items: [{ id: SITE_ID, name: "Head office" }], page: 1, per_page: 200, total: 1 }],
    ],
  });
}

function row(name: string): HTMLElement {
  const found = screen.getAllByTestId("vault-row").find((element) => element.dataset.name === name);
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

function posts(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method === "POST");
}

describe("ClientVaultCard", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("lists the entries without any value", async () => {
    renderCard("admin");
    expect(await screen.findAllByTestId("vault-row")).toHaveLength(2);
    const admin = row("Domain admin");
    expect(within(admin).getByTestId("vault-kind")).toHaveTextContent("Password");
    expect(within(admin).getByTestId("vault-username")).toHaveTextContent("ACME\\administrator");
    expect(within(admin).getByRole("link", { name: "https://dc01.acme.example" })).toHaveAttribute("href", "https://dc01.acme.example/");
    expect(within(admin).getByTestId("vault-notes")).toHaveTextContent("Break-glass account");
    expect(admin).toHaveTextContent("by bob@msp.example");
    expect(within(admin).queryByTestId("vault-site")).toBeNull();

    const firewall = row("Firewall");
    expect(within(firewall).getByTestId("vault-kind")).toHaveTextContent("SSH key");
    expect(within(firewall).getByTestId("vault-site")).toHaveTextContent("Site: Head office");
    // Not a web link: shown as text.
    expect(within(firewall).queryByRole("link")).toBeNull();
    expect(within(firewall).getByTestId("vault-url")).toHaveTextContent("ssh://10.0.0.1");
    expect(screen.queryByText(SECRET)).toBeNull();
    expect(screen.queryByTestId("revealed-secret")).toBeNull();
  });

  it("adds an entry with the fields typed", async () => {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST") return json(entry({ id: "e3", name: "Wi-Fi" }), 201);
      return json({ items: entries });
    });
    renderCard("technician");
    await userEvent.click(await screen.findByRole("button", { name: "Add entry" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Name"), "Wi-Fi");
    await userEvent.selectOptions(within(dialog).getByLabelText("Kind"), "password");
    await userEvent.selectOptions(within(dialog).getByLabelText("Site (optional)"), SITE_ID);
    await userEvent.type(within(dialog).getByLabelText("Username"), "guest");
    await userEvent.type(within(dialog).getByLabelText("URL"), "https://wifi.example");
    await userEvent.type(within(dialog).getByLabelText("Notes"), "Lobby");
    const secret = within(dialog).getByLabelText("Secret");
    expect(secret).toHaveAttribute("type", "password");
    await userEvent.click(within(dialog).getByRole("button", { name: "Show the secret" }));
    expect(secret).toHaveAttribute("type", "text");
    await userEvent.type(secret, SECRET);
    await userEvent.click(within(dialog).getByRole("button", { name: "Add entry" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const [post] = posts();
    expect(new URL(post!.url).pathname).toBe(`/api/v1/clients/${CLIENT_ID}/vault`);
    expect(await post!.json()).toEqual({
      name: "Wi-Fi",
      kind: "password",
      site_id: SITE_ID,
      username: "guest",
      url: "https://wifi.example",
      notes: "Lobby",
      secret: SECRET,
    });
  });

  it("shows the server's 422 under its field", async () => {
    fetchMock.mockImplementation(async () => failure(422, "invalid", "name: give a name of 1 to 120 characters"));
    renderCard("technician");
    await userEvent.click(await screen.findByRole("button", { name: "Add entry" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Name"), "x");
    await userEvent.type(within(dialog).getByLabelText("Secret"), "s");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add entry" }));
    expect(await within(dialog).findByTestId("vault-error-name")).toHaveTextContent("name: give a name of 1 to 120 characters");
  });

  it("edits an entry without sending a secret left empty", async () => {
    fetchMock.mockImplementation(async () => json(entries[0]));
    renderCard("technician");
    await userEvent.click(await within(await waitFor(() => row("Domain admin"))).findByRole("button", { name: "Edit Domain admin" }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("Leave empty to keep the stored value.");
    await userEvent.clear(within(dialog).getByLabelText("Notes"));
    await userEvent.type(within(dialog).getByLabelText("Notes"), "Rotated");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const put = fetchMock.mock.calls.map((call) => call[0] as Request).find((request) => request.method === "PUT");
    expect(new URL(put!.url).pathname).toBe("/api/v1/vault/e1");
    const body = (await put!.json()) as Record<string, unknown>;
    expect(body.notes).toBe("Rotated");
    expect(body).not.toHaveProperty("secret");
  });

  it("reveals a value with the user's password, then hides it after 30 seconds", async () => {
    fetchMock.mockImplementation(async () => json({ secret: SECRET }));
    renderCard("admin");
    await userEvent.click(await within(await waitFor(() => row("Domain admin"))).findByRole("button", { name: "Reveal Domain admin" }));
    const dialog = await screen.findByRole("dialog");
    // Without an authenticator app, only the password is offered.
    expect(within(dialog).queryByRole("radio", { name: "Authenticator code" })).toBeNull();
    await userEvent.type(within(dialog).getByLabelText("Your password"), "correct horse");
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["setInterval", "clearInterval", "Date"] });
    try {
      await userEvent.click(within(dialog).getByRole("button", { name: "Reveal" }));
      expect(await within(dialog).findByTestId("revealed-secret")).toHaveValue(SECRET);
      expect(within(dialog).getByRole("button", { name: "Copy" })).toBeInTheDocument();
      const [post] = posts();
      expect(new URL(post!.url).pathname).toBe("/api/v1/vault/e1/reveal");
      expect(await post!.json()).toEqual({ password: "correct horse" });

      await act(async () => {
        await vi.advanceTimersByTimeAsync(31_000);
      });
      expect(within(dialog).queryByTestId("revealed-secret")).toBeNull();
      expect(screen.queryByDisplayValue(SECRET)).toBeNull();
      expect(within(dialog).getByLabelText("Your password")).toHaveValue("");
    } finally {
      vi.useRealTimers();
    }
  });

  it("drops the value when the dialog closes", async () => {
    fetchMock.mockImplementation(async () => json({ secret: SECRET }));
    renderCard("admin");
    await userEvent.click(await within(await waitFor(() => row("Domain admin"))).findByRole("button", { name: "Reveal Domain admin" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Your password"), "correct horse");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reveal" }));
    expect(await within(dialog).findByTestId("revealed-secret")).toHaveValue(SECRET);
    await userEvent.click(within(dialog).getAllByRole("button", { name: "Close" })[0]!);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await userEvent.click(within(row("Domain admin")).getByRole("button", { name: "Reveal Domain admin" }));
    expect(await screen.findByLabelText("Your password")).toHaveValue("");
    expect(screen.queryByDisplayValue(SECRET)).toBeNull();
  });

  it("takes a code of the authenticator app instead, for a user who has one", async () => {
    fetchMock.mockImplementation(async (input) =>
      new URL((input as Request).url).pathname === "/api/v1/auth/webauthn/credentials"
        ? json({ items: [], authenticator_app: true })
        : json({ secret: SECRET }),
    );
    const { queryClient } = renderCard("admin");
    act(() => queryClient.setQueryData(currentUserQueryKey, { ...testUser("admin"), second_factor: true }));
    await userEvent.click(await within(await waitFor(() => row("Domain admin"))).findByRole("button", { name: "Reveal Domain admin" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.click(within(dialog).getByRole("radio", { name: "Authenticator code" }));
    await userEvent.type(within(dialog).getByLabelText("A code of your authenticator app"), "123456");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reveal" }));
    expect(await within(dialog).findByTestId("revealed-secret")).toHaveValue(SECRET);
    expect(await posts()[0]!.json()).toEqual({ totp: "123456" });
  });

  it("asks the password of a user whose second factor is a security key only", async () => {
    fetchMock.mockImplementation(async () =>
      json({ items: [{ id: "k1", name: "YubiKey", created_at: "2026-12-01T00:00:00Z" }], authenticator_app: false }),
    );
    const { queryClient } = renderCard("admin");
    act(() => queryClient.setQueryData(currentUserQueryKey, { ...testUser("admin"), second_factor: true }));
    await userEvent.click(await within(await waitFor(() => row("Domain admin"))).findByRole("button", { name: "Reveal Domain admin" }));
    const dialog = await screen.findByRole("dialog");
    await waitFor(() =>
      expect(fetchMock.mock.calls.some((call) => (call[0] as Request).url.endsWith("/api/v1/auth/webauthn/credentials"))).toBe(true),
    );
    expect(within(dialog).getByLabelText("Your password")).toBeInTheDocument();
    expect(within(dialog).queryByRole("radio", { name: "Authenticator code" })).toBeNull();
  });

  it("says a wrong password showed nothing", async () => {
    fetchMock.mockImplementation(async () => failure(403, "forbidden", "that password or code is wrong; nothing was shown"));
    renderCard("admin");
    await userEvent.click(await within(await waitFor(() => row("Domain admin"))).findByRole("button", { name: "Reveal Domain admin" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Your password"), "wrong");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reveal" }));
    expect(await within(dialog).findByTestId("reveal-error")).toHaveTextContent("that password or code is wrong; nothing was shown");
    expect(within(dialog).queryByTestId("revealed-secret")).toBeNull();
    expect(within(dialog).getByLabelText("Your password")).toHaveValue("");
  });

  it("offers a technician add, edit and delete but no reveal", async () => {
    renderCard("technician");
    await screen.findAllByTestId("vault-row");
    expect(screen.getByRole("button", { name: "Add entry" })).toBeInTheDocument();
    expect(within(row("Domain admin")).getByRole("button", { name: "Edit Domain admin" })).toBeInTheDocument();
    expect(within(row("Domain admin")).getByRole("button", { name: "Delete Domain admin" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /reveal/i })).toBeNull();
  });

  it("shows a read-only user the list without any action", async () => {
    renderCard("readonly");
    expect(await screen.findAllByTestId("vault-row")).toHaveLength(2);
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.queryByRole("columnheader", { name: "Actions" })).toBeNull();
  });

  it("deletes an entry after confirmation", async () => {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "DELETE") return new Response(null, { status: 204 });
      return json({ items: entries.slice(1) });
    });
    renderCard("technician");
    await userEvent.click(await within(await waitFor(() => row("Domain admin"))).findByRole("button", { name: "Delete Domain admin" }));
    const dialog = await screen.findByRole("alertdialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete entry" }));
    await waitFor(() => expect(screen.getAllByTestId("vault-row")).toHaveLength(1));
    const removed = fetchMock.mock.calls.map((call) => call[0] as Request).find((request) => request.method === "DELETE");
    expect(new URL(removed!.url).pathname).toBe("/api/v1/vault/e1");
  });
});
