import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "@/test/render-page";
import type { EnrollmentKeyInfo, EnrollmentKeyList } from "../api/enrollment-keys";
import { siteKeys } from "../api/sites";
import { EnrollmentKeysCard } from "./enrollment-keys-card";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const SITE_ID = "2c1f8f47-5049-4dc7-8e5b-3f5b9f1f9b22";
const HOUR = 3_600_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

function key(overrides: Partial<EnrollmentKeyInfo>): EnrollmentKeyInfo {
  return {
    id: "k",
    site_id: SITE_ID,
    label: "Site key",
    state: "active",
    created_at: at(-48 * HOUR),
    created_by_email: "alice@msp.example",
    expires_at: null,
    max_uses: null,
    uses: 0,
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

const keys: EnrollmentKeyInfo[] = [
  key({ id: "k1", label: "Laptop rollout", max_uses: 10, uses: 3, expires_at: at(23.6 * HOUR), last_used_at: at(-2 * HOUR) }),
  key({ id: "k2", label: "Front desk PC", max_uses: 1, uses: 0, created_by_email: "bob@msp.example" }),
  key({ id: "k3", label: "Reception", state: "used_up", max_uses: 1, uses: 1, last_used_at: at(-5 * HOUR) }),
  key({ id: "k4", label: "Old rollout", state: "expired", uses: 5, expires_at: at(-72 * HOUR) }),
  key({ id: "k5", label: "Leaked", state: "revoked", uses: 2, revoked_at: at(-3 * HOUR) }),
];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function renderCard(role: "admin" | "technician" | "readonly", list: EnrollmentKeyList = { items: keys }) {
  return renderPage(<EnrollmentKeysCard siteId={SITE_ID} />, { role, seed: [[siteKeys.enrollmentKeys(SITE_ID), list]] });
}

function row(label: string): HTMLElement {
  const found = screen.getAllByTestId("enrollment-key-row").find((element) => element.dataset.label === label);
  if (!found) throw new Error(`no row for ${label}`);
  return found;
}

describe("EnrollmentKeysCard", () => {
  // In braces: a function returned from beforeEach is run as a cleanup, and mockReset returns the mock.
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("lists every key with its state, uses, expiry, author and last use", async () => {
    renderCard("technician");
    expect(await screen.findAllByTestId("enrollment-key-row")).toHaveLength(5);
    expect(screen.getByTestId("enrollment-keys-count")).toHaveTextContent("2 of 5 working");

    const rollout = row("Laptop rollout");
    expect(within(rollout).getByTestId("enrollment-key-state")).toHaveTextContent("Active");
    expect(within(rollout).getByTestId("enrollment-key-uses")).toHaveTextContent("3 of 10");
    expect(within(rollout).getByTestId("enrollment-key-expiry")).toHaveTextContent("in 24 hours");
    expect(within(rollout).getByTestId("enrollment-key-last-used")).toHaveTextContent("2 hours ago");
    expect(rollout).toHaveTextContent("by alice@msp.example");
    expect(rollout).toHaveTextContent("2 days ago");

    const oneTime = row("Front desk PC");
    expect(within(oneTime).getByTestId("enrollment-key-uses")).toHaveTextContent("0 of 1 (one-time)");
    expect(within(oneTime).getByTestId("enrollment-key-expiry")).toHaveTextContent("never");
    expect(within(oneTime).getByTestId("enrollment-key-last-used")).toHaveTextContent("never");
    expect(oneTime).toHaveTextContent("by bob@msp.example");

    expect(within(row("Reception")).getByTestId("enrollment-key-state")).toHaveTextContent("Used up");
    expect(within(row("Reception")).getByTestId("enrollment-key-uses")).toHaveTextContent("1 of 1 (one-time)");
    expect(within(row("Old rollout")).getByTestId("enrollment-key-state")).toHaveTextContent("Expired");
    expect(within(row("Old rollout")).getByTestId("enrollment-key-uses")).toHaveTextContent("5, no limit");
    expect(within(row("Old rollout")).getByTestId("enrollment-key-expiry")).toHaveTextContent("expired 3 days ago");
    expect(within(row("Leaked")).getByTestId("enrollment-key-state")).toHaveTextContent("Revoked");
    expect(row("Leaked")).toHaveTextContent("3 hours ago");
  });

  it("offers Revoke only on keys that still work, and New key, to those who manage agents", async () => {
    renderCard("admin");
    await screen.findAllByTestId("enrollment-key-row");
    expect(screen.getByRole("button", { name: "New key" })).toBeInTheDocument();
    expect(within(row("Laptop rollout")).getByRole("button", { name: "Revoke Laptop rollout" })).toBeInTheDocument();
    expect(within(row("Front desk PC")).getByRole("button", { name: "Revoke Front desk PC" })).toBeInTheDocument();
    for (const label of ["Reception", "Old rollout", "Leaked"]) {
      expect(within(row(label)).queryByRole("button")).toBeNull();
    }
  });

  it.each(["technician", "readonly"] as const)("shows a %s the list without any action", async (role) => {
    renderCard(role);
    expect(await screen.findAllByTestId("enrollment-key-row")).toHaveLength(5);
    expect(screen.queryByRole("button", { name: "New key" })).toBeNull();
    expect(screen.queryByRole("button", { name: /revoke/i })).toBeNull();
    expect(screen.queryByRole("columnheader", { name: "Actions" })).toBeNull();
  });

  it("revokes a key after confirmation and shows it revoked", async () => {
    const revoked = { ...keys[0]!, state: "revoked", revoked_at: new Date().toISOString() };
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST") return json(revoked);
      return json({ items: [revoked, ...keys.slice(1)] });
    });
    renderCard("admin");
    await userEvent.click(await within(await waitFor(() => row("Laptop rollout"))).findByRole("button", { name: "Revoke Laptop rollout" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent('Revoke "Laptop rollout"?');
    expect(dialog).toHaveTextContent("The 3 agents it already enrolled keep working.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke key" }));

    await waitFor(() => expect(within(row("Laptop rollout")).getByTestId("enrollment-key-state")).toHaveTextContent("Revoked"));
    const request = fetchMock.mock.calls[0]?.[0] as Request;
    expect(request.method).toBe("POST");
    expect(new URL(request.url).pathname).toBe(`/api/v1/enrollment-keys/${keys[0]!.id}/revoke`);
    expect(within(row("Laptop rollout")).queryByRole("button")).toBeNull();
    expect(screen.getByTestId("enrollment-keys-count")).toHaveTextContent("1 of 5 working");
  });

  it("says when the site has no key, and who may make one", async () => {
    renderCard("admin", { items: [] });
    expect(await screen.findByTestId("enrollment-keys-empty")).toHaveTextContent("Create a key to install agents in this site.");
  });
});
