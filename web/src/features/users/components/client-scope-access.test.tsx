import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Toaster } from "sonner";
import { roleList } from "@/test/fixtures";
import { CLIENTS } from "@/test/client-scope";
import { pageOf } from "@/test/fixtures";
import { ROLE_PERMISSIONS, renderPage } from "@/test/render-page";
import { userKeys, type Invitation, type LinkCreated, type OrgUser } from "../api/users";
import { InviteUserDialog } from "./invite-user-dialog";
import { UsersPage } from "./users-page";

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

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function orgUser(overrides: Pick<OrgUser, "id" | "email" | "role"> & Partial<OrgUser>): OrgUser {
  return {
    permissions: ROLE_PERMISSIONS[overrides.role],
    created_at: "2026-01-01T00:00:00Z",
    last_sign_in_at: null,
    disabled_at: null,
    second_factor: false,
    ...overrides,
  } as OrgUser;
}

function invitation(overrides: Partial<Invitation> = {}): Invitation {
  return {
    id: "i1",
    email: "new@example.com",
    role: "technician",
    created_by_email: "tech@example.com",
    created_at: new Date(Date.now() - HOUR).toISOString(),
    expires_at: new Date(Date.now() + 71 * HOUR).toISOString(),
    ...overrides,
  };
}

function created(client_ids: string[] | null): LinkCreated {
  return { invitation: invitation({ client_ids }), link: "http://rmm.example.com/welcome#token=gri_0", emailed: false, email_error: null };
}

/** Answers the clients (filtered by `q` like the server), the roles, and changes with `change`. */
function serve(change: (request: Request) => Response) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    const url = new URL(request.url);
    if (request.method !== "GET") return change(request);
    if (url.pathname === "/api/v1/clients") {
      const q = url.searchParams.get("q")?.toLowerCase() ?? "";
      return json(
        pageOf(
          CLIENTS.filter((candidate) => candidate.name.toLowerCase().includes(q)),
          200,
        ),
      );
    }
    if (url.pathname === "/api/v1/roles") return json(roleList([]));
    return json({ items: [] });
  });
}

function changes(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method !== "GET");
}

const SEED: [readonly unknown[], unknown][] = [
  [userKeys.roles, roleList([])],
  [userKeys.list, { items: [] }],
  [userKeys.invitations, { items: [] }],
];

async function openInvite(email: string) {
  await userEvent.click(await screen.findByRole("button", { name: "Invite user" }));
  const dialog = await screen.findByTestId("invite-user-dialog");
  await userEvent.type(within(dialog).getByLabelText("Email"), email);
  return dialog;
}

describe("client scope on the users page", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("invites a technician limited to the clients picked from a search", async () => {
    serve(() => json(created(["c1", "c2"]), 201));
    renderPage(<InviteUserDialog />, { role: "admin", seed: SEED });
    const dialog = await openInvite("new@example.com");
    await userEvent.click(within(dialog).getByLabelText("Only these clients"));
    await userEvent.click(await within(dialog).findByRole("checkbox", { name: "Acme" }));
    await userEvent.type(within(dialog).getByRole("searchbox", { name: "Search clients" }), "glo");
    await waitFor(() => expect(within(dialog).queryByRole("checkbox", { name: "Initech" })).toBeNull());
    await userEvent.click(within(dialog).getByRole("checkbox", { name: "Globex" }));
    expect(
      within(dialog)
        .getAllByTestId("invite-scope-chosen-client")
        .map((chip) => chip.dataset.name),
    ).toEqual(["Acme", "Globex"]);
    await userEvent.click(within(dialog).getByRole("button", { name: "Invite" }));
    await screen.findByTestId("invitation-sent");
    const [post] = changes();
    expect(await post!.clone().json()).toEqual({ email: "new@example.com", role: "technician", client_ids: ["c1", "c2"] });
  });

  it("asks for a client before inviting with a limited access, and shows the server's refusal on the field", async () => {
    serve(() => json({ error: { code: "invalid", message: "client_ids: c9 is not a client of your organization" } }, 422));
    renderPage(<InviteUserDialog />, { role: "admin", seed: SEED });
    const dialog = await openInvite("new@example.com");
    await userEvent.click(within(dialog).getByLabelText("Only these clients"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Invite" }));
    expect(await within(dialog).findByTestId("invite-scope-problem")).toHaveTextContent("Choose at least one client");
    expect(changes()).toHaveLength(0);

    await userEvent.click(await within(dialog).findByRole("checkbox", { name: "Initech" }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Invite" }));
    expect(await within(dialog).findByTestId("invite-scope-problem")).toHaveTextContent("C9 is not a client of your organization");
    expect(within(dialog).queryByTestId("invite-failure")).toBeNull();
  });

  it("never limits an owner's access", async () => {
    serve(() => json(created(null), 201));
    renderPage(<InviteUserDialog />, { role: "owner", seed: SEED });
    const dialog = await openInvite("boss@example.com");
    await userEvent.click(within(dialog).getByLabelText("Role"));
    await userEvent.click(await screen.findByRole("option", { name: "Owner" }));
    expect(within(dialog).getByLabelText("Only these clients")).toBeDisabled();
    expect(within(dialog).getByTestId("invite-scope-owner-note")).toHaveTextContent(
      "An owner always has access to the whole organization.",
    );
    await userEvent.click(within(dialog).getByRole("button", { name: "Invite" }));
    await screen.findByTestId("invitation-sent");
    expect(await changes()[0]!.clone().json()).toEqual({ email: "boss@example.com", role: "owner" });
  });

  it("shows each user's and invitation's access, and gives a limited user the whole organization again", async () => {
    const tina = orgUser({ id: "t1", email: "tina@example.com", role: "technician", client_ids: ["c1", "c2", "c3"] });
    const dan = orgUser({ id: "d1", email: "dan@example.com", role: "readonly", client_ids: ["c2"] });
    const olga = orgUser({ id: "o1", email: "olga@example.com", role: "owner" });
    serve((request) => json({ ...tina, client_ids: null, role: request.method === "PATCH" ? "technician" : tina.role }));
    renderPage(
      <>
        <UsersPage />
        <Toaster />
      </>,
      {
        role: "owner",
        seed: [
          [userKeys.roles, roleList([])],
          [userKeys.list, { items: [olga, tina, dan] }],
          [userKeys.invitations, { items: [invitation({ client_ids: ["c1", "c3"] })] }],
        ],
      },
    );
    const row = async (email: string) => (await screen.findAllByTestId("user-row")).find((candidate) => candidate.dataset.email === email)!;
    await waitFor(async () => expect(within(await row("dan@example.com")).getByTestId("user-access")).toHaveTextContent("Globex"));
    expect(within(await row("tina@example.com")).getByTestId("user-access")).toHaveTextContent("3 clients");
    expect(within(await row("olga@example.com")).getByTestId("user-access")).toHaveTextContent("All clients");
    // An owner always covers the whole organization: no change of access is offered.
    expect(within(await row("olga@example.com")).queryByRole("button", { name: "Change access of olga@example.com" })).toBeNull();
    expect(within(screen.getByTestId("pending-invitations")).getByTestId("invitation-access")).toHaveTextContent("Acme, Initech");

    await userEvent.click(within(await row("tina@example.com")).getByRole("button", { name: "Change access of tina@example.com" }));
    const dialog = await screen.findByTestId("change-access-dialog");
    expect(within(dialog).getByLabelText("Only these clients")).toBeChecked();
    expect(
      within(dialog)
        .getAllByTestId("scope-chosen-client")
        .map((chip) => chip.dataset.name),
    ).toEqual(["Acme", "Globex", "Initech"]);
    await userEvent.click(within(dialog).getByLabelText("Whole organization"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save access" }));
    await waitFor(() => expect(changes()).toHaveLength(1));
    const [patch] = changes();
    expect(new URL(patch!.url).pathname).toBe("/api/v1/users/t1");
    expect(patch!.method).toBe("PATCH");
    expect(await patch!.clone().json()).toEqual({ client_ids: null });
    expect(await screen.findByText("tina@example.com now has access to the whole organization; their sessions ended.")).toBeInTheDocument();
  });

  it("limits a user to the clients chosen", async () => {
    const tina = orgUser({ id: "t1", email: "tina@example.com", role: "technician" });
    serve(() => json({ ...tina, client_ids: ["c3"] }));
    renderPage(<UsersPage />, {
      role: "admin",
      seed: [
        [userKeys.roles, roleList([])],
        [userKeys.list, { items: [tina] }],
        [userKeys.invitations, { items: [] }],
      ],
    });
    await userEvent.click(await screen.findByRole("button", { name: "Change access of tina@example.com" }));
    const dialog = await screen.findByTestId("change-access-dialog");
    await userEvent.click(within(dialog).getByLabelText("Only these clients"));
    await userEvent.click(await within(dialog).findByRole("checkbox", { name: "Initech" }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save access" }));
    await waitFor(() => expect(changes()).toHaveLength(1));
    expect(await changes()[0]!.clone().json()).toEqual({ client_ids: ["c3"] });
  });
});
