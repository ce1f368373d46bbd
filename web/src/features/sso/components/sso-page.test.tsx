import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Role } from "@/api/types";
import { pageOf, roleList, ssoProvider } from "@/test/fixtures";
import { renderPage, testUser } from "@/test/render-page";
import { ssoKeys, type SsoProvider, type SsoProviderList } from "../api/sso";
import { SsoPage } from "./sso-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

// jsdom lacks what Radix's select calls when it opens.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

const REDIRECT_URI = "https://rmm.example.com/api/v1/auth/sso/callback";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(code: string, message: string, status: number): Response {
  return json({ error: { code, message } }, status);
}

function listOf(items: SsoProvider[], ssoOnly = false): SsoProviderList {
  return { items, sso_only: ssoOnly, redirect_uri: REDIRECT_URI };
}

/** The server: `change` answers every POST, PUT and DELETE; reads answer the list, the roles and two clients. */
function serve(list: SsoProviderList, change: (request: Request) => Response = () => json(ssoProvider())) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    const path = new URL(request.url).pathname;
    if (request.method !== "GET") return change(request);
    if (path === "/api/v1/sso/providers") return json(list);
    if (path === "/api/v1/roles") return json(roleList([]));
    if (path === "/api/v1/clients")
      return json(
        pageOf(
          [
            { id: "c1", name: "Acme" },
            { id: "c2", name: "Globex" },
          ],
          200,
        ),
      );
    if (path === "/api/v1/auth/me") return json(testUser("owner"));
    return refusal("not_found", "not found", 404);
  });
}

function changes(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method !== "GET");
}

function renderSso(role: Role = "owner", list: SsoProviderList | null = listOf([ssoProvider()])) {
  return renderPage(<SsoPage />, {
    role,
    seed: list
      ? [
          [ssoKeys.providers, list],
          [ssoKeys.roles, roleList([])],
        ]
      : [],
  });
}

async function chooseRole(within_: HTMLElement, testId: string, role: string) {
  await userEvent.click(within(within_).getByTestId(testId));
  await userEvent.click(await screen.findByRole("option", { name: role }));
}

describe("SsoPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    serve(listOf([ssoProvider()]));
  });

  it.each(["technician", "readonly"] as const)("tells a %s they don't have permission, and asks the server nothing", async (role) => {
    renderSso(role, null);
    const denied = await screen.findByTestId("sso-not-allowed");
    expect(denied).toHaveTextContent("You don't have permission to change single sign-on");
    expect(screen.queryByTestId("add-sso-provider")).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("shows the redirect URI to register and lists the providers with their sign-in links", async () => {
    const second = ssoProvider({
      id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f5b02",
      name: "Google",
      sign_in_url: "https://rmm.example.com/login?sso=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f5b02",
      email_domains: ["globex.example", "globex.test"],
      default_access: { role: "readonly", client_ids: ["c2"] },
      group_rules: [
        { group: "rmm-admins", role: "admin" },
        { group: "helpdesk", role: "technician" },
      ],
      enabled: false,
    });
    serve(listOf([ssoProvider(), second]));
    renderSso("admin", null);
    expect(await screen.findByTestId("sso-redirect-uri")).toHaveTextContent(REDIRECT_URI);
    expect(screen.getByRole("button", { name: "Copy redirect URI" })).toBeInTheDocument();
    const rows = await screen.findAllByTestId("sso-provider-row");
    expect(rows.map((row) => row.getAttribute("data-name"))).toEqual(["Acme Entra", "Google"]);
    const google = rows[1]!;
    expect(within(google).getByTestId("sso-sign-in-url")).toHaveTextContent(second.sign_in_url);
    expect(within(google).getByTestId("sso-provider-domains")).toHaveTextContent("globex.example, globex.test");
    await waitFor(() => expect(within(google).getByTestId("sso-provider-default-access")).toHaveTextContent("Read-only · Globex"));
    expect(within(google).getByTestId("sso-provider-rules")).toHaveTextContent("2");
    expect(within(google).getByTestId("sso-provider-status")).toHaveTextContent("Disabled");
    expect(within(google).getByRole("button", { name: "Enable" })).toBeInTheDocument();
    expect(within(rows[0]!).getByTestId("sso-provider-default-access")).toHaveTextContent("Technician · All clients");
    expect(within(rows[0]!).getByRole("button", { name: "Copy sign-in link" })).toBeInTheDocument();
    expect(screen.getByRole("switch", { name: "Sign in only through single sign-on" })).not.toBeChecked();
  });

  it("says when there is no provider yet", async () => {
    renderSso("owner", listOf([]));
    expect(await screen.findByTestId("no-sso-providers")).toHaveTextContent("No identity provider yet");
  });

  it("adds a provider with a default access and a group rule, and never offers owner", async () => {
    renderSso();
    await userEvent.click(await screen.findByTestId("add-sso-provider"));
    const dialog = await screen.findByTestId("sso-provider-dialog");
    await userEvent.type(within(dialog).getByLabelText("Name"), "Acme Entra");
    await userEvent.type(within(dialog).getByLabelText("Issuer URL"), "https://login.microsoftonline.com/tenant/v2.0");
    await userEvent.type(within(dialog).getByLabelText("Client ID"), "rmm-app");
    await userEvent.type(within(dialog).getByLabelText(/Client secret/), "s3cret");
    await userEvent.type(within(dialog).getByLabelText("Email domains"), "Acme.test, @acme.example");
    await userEvent.click(within(dialog).getByTestId("sso-default-access-role"));
    expect((await screen.findAllByRole("option")).map((option) => option.textContent)).toEqual([
      "Nobody without a matching group",
      "Admin",
      "Technician",
      "Read-only",
    ]);
    await userEvent.click(screen.getByRole("option", { name: "Technician" }));
    await userEvent.click(within(dialog).getByTestId("sso-add-group-rule"));
    const rule = within(dialog).getByTestId("sso-group-rule");
    await userEvent.type(within(rule).getByLabelText("Group (rule 1)"), "rmm-admins");
    await chooseRole(rule, "sso-group-rule-access-role", "Admin");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add provider" }));

    await waitFor(() => expect(screen.queryByTestId("sso-provider-dialog")).toBeNull());
    const [post] = changes();
    expect(post?.method).toBe("POST");
    expect(new URL(post!.url).pathname).toBe("/api/v1/sso/providers");
    expect(await post!.json()).toEqual({
      name: "Acme Entra",
      issuer: "https://login.microsoftonline.com/tenant/v2.0",
      client_id: "rmm-app",
      client_secret: "s3cret",
      email_domains: ["acme.test", "acme.example"],
      provision: true,
      default_access: { role: "technician" },
      groups_claim: "groups",
      group_rules: [{ group: "rmm-admins", role: "admin" }],
      enabled: true,
    });
  });

  it("checks the form before sending, and shows the server's refusal on the field it names", async () => {
    serve(listOf([ssoProvider()]), () =>
      refusal("invalid", "group_rules[0].group: give 1 to 200 characters, without control characters", 422),
    );
    renderSso();
    await userEvent.click(await screen.findByTestId("add-sso-provider"));
    const dialog = await screen.findByTestId("sso-provider-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add provider" }));
    expect(within(dialog).getByTestId("sso-name-error")).toHaveTextContent("Give the name on the sign-in button");
    expect(within(dialog).getByTestId("sso-issuer-error")).toHaveTextContent("Give the provider's issuer URL.");
    expect(within(dialog).getByTestId("sso-email_domains-error")).toBeInTheDocument();
    expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(changes()).toEqual([]);

    await userEvent.type(within(dialog).getByLabelText("Name"), "Acme");
    await userEvent.type(within(dialog).getByLabelText("Issuer URL"), "https://idp.acme.test");
    await userEvent.type(within(dialog).getByLabelText("Client ID"), "rmm");
    await userEvent.type(within(dialog).getByLabelText(/Client secret/), "s3cret");
    await userEvent.type(within(dialog).getByLabelText("Email domains"), "acme.test");
    await userEvent.click(within(dialog).getByTestId("sso-add-group-rule"));
    await userEvent.type(within(dialog).getByLabelText("Group (rule 1)"), "staff");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add provider" }));
    expect(await within(dialog).findByTestId("sso-group-rule-group-error")).toHaveTextContent(
      "Give 1 to 200 characters, without control characters",
    );
    expect(within(dialog).queryByTestId("sso-name-error")).toBeNull();
  });

  it("moves and removes group rules", async () => {
    renderSso();
    await userEvent.click(await screen.findByTestId("add-sso-provider"));
    const dialog = await screen.findByTestId("sso-provider-dialog");
    await userEvent.click(within(dialog).getByTestId("sso-add-group-rule"));
    await userEvent.click(within(dialog).getByTestId("sso-add-group-rule"));
    await userEvent.type(within(dialog).getByLabelText("Group (rule 1)"), "first");
    await userEvent.type(within(dialog).getByLabelText("Group (rule 2)"), "second");
    await userEvent.click(within(dialog).getByRole("button", { name: "Move rule 2 up" }));
    const groups = () =>
      within(dialog)
        .getAllByTestId("sso-group-rule-group")
        .map((input) => (input as HTMLInputElement).value);
    expect(groups()).toEqual(["second", "first"]);
    expect(within(dialog).getByRole("button", { name: "Move rule 1 up" })).toBeDisabled();
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove rule 1" }));
    expect(groups()).toEqual(["first"]);
  });

  it("edits a provider keeping its stored secret, which it never shows", async () => {
    renderSso();
    const row = (await screen.findAllByTestId("sso-provider-row"))[0]!;
    await userEvent.click(within(row).getByRole("button", { name: "Edit Acme Entra" }));
    const dialog = await screen.findByTestId("sso-provider-dialog");
    expect(within(dialog).getByTestId("sso-client-secret-set")).toHaveTextContent("Set");
    expect(within(dialog).getByLabelText(/Client secret/)).toHaveValue("");
    expect(dialog).toHaveTextContent("Leave empty to keep the stored secret.");
    const name = within(dialog).getByLabelText("Name");
    await userEvent.clear(name);
    await userEvent.type(name, "Acme Microsoft");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(changes()).toHaveLength(1));
    const [put] = changes();
    expect(put?.method).toBe("PUT");
    expect(new URL(put!.url).pathname).toBe(`/api/v1/sso/providers/${ssoProvider().id}`);
    const body = (await put!.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: "Acme Microsoft", default_access: { role: "technician" }, email_domains: ["acme.test"] });
    expect("client_secret" in body).toBe(false);
  });

  it("disables a provider, keeping the rest of it", async () => {
    renderSso();
    const row = (await screen.findAllByTestId("sso-provider-row"))[0]!;
    await userEvent.click(within(row).getByRole("button", { name: "Disable" }));
    await waitFor(() => expect(changes()).toHaveLength(1));
    const body = (await changes()[0]!.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ enabled: false, name: "Acme Entra", issuer: ssoProvider().issuer });
    expect("client_secret" in body).toBe(false);
  });

  it("deletes a provider after confirming", async () => {
    serve(listOf([ssoProvider()]), () => new Response(null, { status: 204 }));
    renderSso();
    const row = (await screen.findAllByTestId("sso-provider-row"))[0]!;
    await userEvent.click(within(row).getByRole("button", { name: "Delete Acme Entra" }));
    const confirm = await screen.findByRole("alertdialog");
    expect(changes()).toEqual([]);
    await userEvent.click(within(confirm).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(changes()).toHaveLength(1));
    expect(changes()[0]!.method).toBe("DELETE");
  });

  it("requires single sign-on, and shows the server's refusal", async () => {
    const refused = "add and enable an identity provider before requiring single sign-on";
    serve(listOf([ssoProvider()]), () => refusal("conflict", refused, 409));
    renderSso();
    await userEvent.click(await screen.findByRole("switch", { name: "Sign in only through single sign-on" }));
    expect(await screen.findByTestId("sso-only-failure")).toHaveTextContent(refused);
    expect(screen.getByRole("switch", { name: "Sign in only through single sign-on" })).not.toBeChecked();
    expect(await changes()[0]!.json()).toEqual({ sso_only: true });

    serve(listOf([ssoProvider()]), () => json({ sso_only: true }));
    await userEvent.click(screen.getByRole("switch", { name: "Sign in only through single sign-on" }));
    await waitFor(() => expect(screen.getByRole("switch", { name: "Sign in only through single sign-on" })).toBeChecked());
    expect(screen.queryByTestId("sso-only-failure")).toBeNull();
    expect(screen.getByTestId("sso-only-card")).toHaveTextContent("Owners keep their password");
  });
});
