import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Toaster } from "sonner";
import type { Permission, Role } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { customRole, roleList } from "@/test/fixtures";
import { ROLE_PERMISSIONS, renderPage, testUser } from "@/test/render-page";
import { userKeys, type Invitation, type LinkCreated, type OrgUser, type RoleList } from "../api/users";
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

function orgUser(
  overrides: Pick<OrgUser, "id" | "email" | "role"> &
    Partial<Pick<OrgUser, "last_sign_in_at" | "disabled_at" | "second_factor" | "custom_role" | "permissions">>,
): OrgUser {
  // Asserted rather than checked, so a field the server adds later (and this page ignores) needs no edit here.
  return {
    permissions: ROLE_PERMISSIONS[overrides.role],
    created_at: "2026-01-01T00:00:00Z",
    last_sign_in_at: null,
    disabled_at: null,
    second_factor: false,
    ...overrides,
  } as OrgUser;
}

const HOUR = 3_600_000;
// `renderPage` signs in as user "u", tech@example.com.
const self = (role: Role) => orgUser({ id: "u", email: "tech@example.com", role });
const owner = orgUser({
  id: "o1",
  email: "olga@example.com",
  role: "owner",
  last_sign_in_at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
});
const tina = orgUser({
  id: "t1",
  email: "tina@example.com",
  role: "technician",
  last_sign_in_at: new Date(Date.now() - 2 * HOUR).toISOString(),
});
const dan = orgUser({ id: "d1", email: "dan@example.com", role: "readonly", disabled_at: new Date(Date.now() - HOUR).toISOString() });
const tom = orgUser({ id: "m1", email: "tom@example.com", role: "technician", second_factor: true });
const securedOwner = orgUser({ id: "o2", email: "oscar@example.com", role: "owner", second_factor: true });

const invitation: Invitation = {
  id: "i1",
  email: "new@example.com",
  role: "technician",
  created_by_email: "olga@example.com",
  created_at: new Date(Date.now() - HOUR).toISOString(),
  expires_at: new Date(Date.now() + 71 * HOUR).toISOString(),
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** What `GET /api/v1/roles` answers, seeded and on every reading. */
let roles: RoleList = roleList([]);

/** Answers the roles list, and everything else with `handler`. */
function answer(handler: (input: RequestInfo | URL) => Promise<Response>) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    if (request.method === "GET" && new URL(request.url).pathname === "/api/v1/roles") return json(roles);
    return handler(input);
  });
}

function renderUsers(
  role: Role,
  users: OrgUser[] = [owner, self(role), tina, dan],
  invitations: Invitation[] = [invitation],
  permissions?: Permission[],
) {
  const result = renderPage(
    <>
      <UsersPage />
      <Toaster />
    </>,
    {
      role,
      seed: [
        [userKeys.list, { items: users }],
        [userKeys.invitations, { items: invitations }],
        [userKeys.roles, roles],
      ],
    },
  );
  if (permissions) result.queryClient.setQueryData(currentUserQueryKey, { ...testUser(role), permissions });
  return result;
}

async function row(email: string): Promise<HTMLElement> {
  await screen.findByTestId("users-table");
  const found = screen.getAllByTestId("user-row").find((candidate) => candidate.getAttribute("data-email") === email);
  if (!found) throw new Error(`no row for ${email}`);
  return found;
}

function requests(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request);
}

describe("UsersPage", () => {
  beforeEach(() => {
    roles = roleList([]);
    fetchMock.mockReset();
    answer(async () => json({ items: [] }));
  });

  it("lists each user's role, last sign-in and status", async () => {
    renderUsers("admin");
    const tinaRow = await row("tina@example.com");
    expect(tinaRow).toHaveTextContent("2 hours ago");
    expect(within(tinaRow).getByTestId("user-status")).toHaveTextContent("Active");
    expect(within(tinaRow).getByTestId("user-role-select")).toHaveTextContent("Technician");
    const danRow = await row("dan@example.com");
    expect(within(danRow).getByTestId("user-status")).toHaveTextContent("Disabled");
    expect(within(danRow).getByTestId("user-last-sign-in")).toHaveTextContent("never");
    expect(within(danRow).getByRole("button", { name: "Enable dan@example.com" })).toBeInTheDocument();
    expect(within(danRow).queryByRole("button", { name: "Disable dan@example.com" })).toBeNull();
    expect(screen.getByRole("button", { name: "Invite user" })).toBeInTheDocument();
    expect(within(screen.getByTestId("pending-invitations")).getByTestId("invitation-row")).toHaveTextContent("new@example.com");
  });

  it("never offers to disable, remove or re-role oneself", async () => {
    renderUsers("admin");
    const selfRow = await row("tech@example.com");
    expect(selfRow).toHaveTextContent("You");
    expect(within(selfRow).getByTestId("user-role")).toHaveTextContent("Admin");
    expect(within(selfRow).queryByRole("button")).toBeNull();
    expect(within(selfRow).queryByRole("combobox")).toBeNull();
    expect(within(selfRow).getByRole("link", { name: "Your account" })).toBeInTheDocument();
  });

  it("lets an admin manage others but not an owner, and offers no owner role", async () => {
    renderUsers("admin");
    const ownerRow = await row("olga@example.com");
    expect(within(ownerRow).queryByRole("button")).toBeNull();
    expect(within(ownerRow).getByTestId("user-role")).toHaveTextContent("Owner");

    const tinaRow = await row("tina@example.com");
    for (const action of ["Reset the password of", "Disable", "Remove"]) {
      expect(within(tinaRow).getByRole("button", { name: `${action} tina@example.com` })).toBeInTheDocument();
    }
    await userEvent.click(within(tinaRow).getByRole("combobox", { name: "Role of tina@example.com" }));
    const options = (await screen.findAllByRole("option")).map((option) => option.textContent);
    expect(options).toEqual(["Admin", "Technician", "Read-only"]);
  });

  it("lets an owner manage another owner and give the owner role", async () => {
    renderUsers("owner");
    const ownerRow = await row("olga@example.com");
    expect(within(ownerRow).getByRole("button", { name: "Disable olga@example.com" })).toBeInTheDocument();
    await userEvent.click(within(await row("tina@example.com")).getByRole("combobox", { name: "Role of tina@example.com" }));
    expect((await screen.findAllByRole("option")).map((option) => option.textContent)).toEqual([
      "Owner",
      "Admin",
      "Technician",
      "Read-only",
    ]);
  });

  it("changes a role at once", async () => {
    answer(async (input) => {
      const request = input as Request;
      if (request.method === "PATCH") return json({ ...tina, role: "readonly" });
      return json({ items: [] });
    });
    renderUsers("admin");
    await userEvent.click(within(await row("tina@example.com")).getByRole("combobox", { name: "Role of tina@example.com" }));
    await userEvent.click(await screen.findByRole("option", { name: "Read-only" }));
    await waitFor(() => expect(requests().some((request) => request.method === "PATCH")).toBe(true));
    const patch = requests().find((request) => request.method === "PATCH")!;
    expect(new URL(patch.url).pathname).toBe("/api/v1/users/t1");
    expect(await patch.clone().json()).toEqual({ role: "readonly" });
  });

  it.each(["technician", "readonly"] as const)("tells a %s the page is not for their role", async (role) => {
    renderUsers(role);
    expect(await screen.findByText("Not available to your role")).toBeInTheDocument();
    expect(screen.queryByTestId("users-table")).toBeNull();
    expect(screen.queryByRole("button", { name: "Invite user" })).toBeNull();
    expect(screen.queryByText("new@example.com")).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("asks before removing and says history keeps their name", async () => {
    answer(async (input) => {
      const request = input as Request;
      if (request.method === "DELETE") return new Response(null, { status: 204 });
      return json({ items: [owner, self("admin"), dan] });
    });
    renderUsers("admin");
    await userEvent.click(within(await row("tina@example.com")).getByRole("button", { name: "Remove tina@example.com" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Remove tina@example.com?");
    expect(dialog).toHaveTextContent("History keeps their name");
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    const remove = requests().find((request) => request.method === "DELETE")!;
    expect(new URL(remove.url).pathname).toBe("/api/v1/users/t1");
  });

  it("shows the server's refusal to disable inside the dialog", async () => {
    answer(async (input) => {
      const request = input as Request;
      if (request.method === "POST") {
        return json(
          { error: { code: "conflict", message: "olga@example.com is the organization's only owner; make someone else an owner first" } },
          409,
        );
      }
      return json({ items: [] });
    });
    renderUsers("owner");
    await userEvent.click(within(await row("olga@example.com")).getByRole("button", { name: "Disable olga@example.com" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("They are signed out at once");
    await userEvent.click(within(dialog).getByRole("button", { name: "Disable" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("the organization's only owner");
    const disable = requests().find((request) => request.method === "POST")!;
    expect(new URL(disable.url).pathname).toBe("/api/v1/users/o1/disable");
  });

  it("makes a password reset link and shows it to copy", async () => {
    const reset: LinkCreated = {
      invitation: {
        ...invitation,
        id: "r1",
        email: "tina@example.com",
        expires_at: new Date(Date.now() + 24 * HOUR).toISOString(),
        created_at: new Date().toISOString(),
      },
      link: "http://rmm.example.com/welcome#token=gri_reset",
      emailed: false,
      email_error: null,
    };
    answer(async (input) => ((input as Request).method === "POST" ? json(reset, 201) : json({ items: [] })));
    renderUsers("admin");
    await userEvent.click(within(await row("tina@example.com")).getByRole("button", { name: "Reset the password of tina@example.com" }));
    const dialog = await screen.findByTestId("reset-password-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Make reset link" }));
    expect(await within(dialog).findByTestId("one-time-link")).toHaveTextContent("http://rmm.example.com/welcome#token=gri_reset");
    expect(within(dialog).getByTestId("link-shown-once")).toHaveTextContent("It works once, for 24 hours.");
    expect(within(dialog).getByRole("button", { name: "Copy link" })).toBeInTheDocument();
    const post = requests().find((request) => request.method === "POST")!;
    expect(new URL(post.url).pathname).toBe("/api/v1/users/t1/reset-password");
  });

  it("says a reset link was emailed", async () => {
    const reset: LinkCreated = {
      invitation: {
        ...invitation,
        email: "tina@example.com",
        expires_at: new Date(Date.now() + 24 * HOUR).toISOString(),
        created_at: new Date().toISOString(),
      },
      link: null,
      emailed: true,
      email_error: null,
    };
    answer(async (input) => ((input as Request).method === "POST" ? json(reset, 201) : json({ items: [] })));
    renderUsers("admin");
    await userEvent.click(within(await row("tina@example.com")).getByRole("button", { name: "Reset the password of tina@example.com" }));
    const dialog = await screen.findByTestId("reset-password-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Make reset link" }));
    expect(await within(dialog).findByTestId("link-emailed")).toHaveTextContent("emailed to tina@example.com");
    expect(within(dialog).queryByTestId("one-time-link")).toBeNull();
  });

  it("marks the users who sign in with a second factor", async () => {
    renderUsers("admin", [owner, self("admin"), tina, tom]);
    expect(within(await row("tom@example.com")).getByTestId("user-second-factor")).toHaveTextContent("2FA");
    expect(within(await row("tina@example.com")).queryByTestId("user-second-factor")).toBeNull();
  });

  it("offers to reset a second factor only where one is on and the administrator may act", async () => {
    renderUsers("admin", [securedOwner, self("admin"), tina, tom]);
    expect(
      within(await row("tom@example.com")).getByRole("button", { name: "Reset two-factor authentication of tom@example.com" }),
    ).toBeInTheDocument();
    expect(within(await row("tina@example.com")).queryByTestId("reset-second-factor")).toBeNull();
    // Only an owner resets an owner's.
    const ownerRow = await row("oscar@example.com");
    expect(within(ownerRow).getByTestId("user-second-factor")).toBeInTheDocument();
    expect(within(ownerRow).queryByTestId("reset-second-factor")).toBeNull();
  });

  it("resets a second factor after explaining what it does", async () => {
    answer(async (input) => {
      const request = input as Request;
      if (request.method === "POST") return json({ ...tom, second_factor: false });
      return json({ items: [owner, self("admin"), { ...tom, second_factor: false }] });
    });
    renderUsers("admin", [owner, self("admin"), tom]);
    await userEvent.click(
      within(await row("tom@example.com")).getByRole("button", { name: "Reset two-factor authentication of tom@example.com" }),
    );
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Reset two-factor authentication of tom@example.com?");
    expect(dialog).toHaveTextContent("They sign in with their password alone until they set up two-factor authentication again");
    expect(dialog).toHaveTextContent("all their sessions end now");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reset two-factor" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    const reset = requests().find((request) => request.method === "POST")!;
    expect(new URL(reset.url).pathname).toBe("/api/v1/users/m1/reset-second-factor");
    // The list is read again, and the badge and the action are gone.
    await waitFor(async () => expect(within(await row("tom@example.com")).queryByTestId("user-second-factor")).toBeNull());
    expect(within(await row("tom@example.com")).queryByTestId("reset-second-factor")).toBeNull();
  });

  it("withdraws a pending invitation after asking", async () => {
    answer(async (input) => ((input as Request).method === "DELETE" ? new Response(null, { status: 204 }) : json({ items: [] })));
    renderUsers("admin");
    await userEvent.click(await screen.findByRole("button", { name: "Withdraw the invitation of new@example.com" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("The link stops working");
    await userEvent.click(within(dialog).getByRole("button", { name: "Withdraw" }));
    await waitFor(() => expect(requests().some((request) => request.method === "DELETE")).toBe(true));
    expect(new URL(requests().find((request) => request.method === "DELETE")!.url).pathname).toBe("/api/v1/invitations/i1");
    expect(await screen.findByTestId("no-invitations")).toHaveTextContent("No invitation is waiting.");
  });

  describe("with custom roles", () => {
    const helpdesk = customRole();
    const auditors = customRole({ id: "r2", name: "Auditors", description: "", permissions: ["view_agents", "view_audit"] });
    const hank = orgUser({
      id: "h1",
      email: "hank@example.com",
      role: "custom",
      custom_role: { id: helpdesk.id, name: "Helpdesk" },
      permissions: helpdesk.permissions,
    });
    const helpdeskInvitation: Invitation = {
      ...invitation,
      id: "i2",
      email: "next@example.com",
      role: "custom",
      custom_role: { id: helpdesk.id, name: "Helpdesk" },
    };
    /** A helpdesk lead: sees the fleet, runs scripts and manages users, nothing more. */
    const LEAD: Permission[] = ["view_agents", "run_scripts", "manage_users"];

    beforeEach(() => {
      roles = roleList([helpdesk, auditors]);
    });

    it("names a user's and an invitation's custom role", async () => {
      renderUsers("admin", [owner, self("admin"), tina, hank], [invitation, helpdeskInvitation]);
      expect(within(await row("hank@example.com")).getByTestId("user-role-select")).toHaveTextContent("Helpdesk");
      const invitationRows = within(screen.getByTestId("pending-invitations")).getAllByTestId("invitation-row");
      expect(invitationRows.map((found) => within(found).getByTestId("invitation-role").textContent)).toEqual(["Technician", "Helpdesk"]);
    });

    it("offers the custom roles in the role menu and gives one by id", async () => {
      answer(async (input) => {
        const request = input as Request;
        if (request.method === "PATCH") return json({ ...tina, role: "custom", custom_role: { id: "r2", name: "Auditors" } });
        return json({ items: [] });
      });
      renderUsers("admin");
      await userEvent.click(within(await row("tina@example.com")).getByRole("combobox", { name: "Role of tina@example.com" }));
      expect((await screen.findAllByRole("option")).map((option) => option.textContent)).toEqual([
        "Admin",
        "Technician",
        "Read-only",
        "Helpdesk",
        "Auditors",
      ]);
      await userEvent.click(screen.getByRole("option", { name: "Auditors" }));
      await waitFor(() => expect(requests().some((request) => request.method === "PATCH")).toBe(true));
      const patch = requests().find((request) => request.method === "PATCH")!;
      expect(new URL(patch.url).pathname).toBe("/api/v1/users/t1");
      expect(await patch.clone().json()).toEqual({ role: "custom", custom_role_id: "r2" });
      expect(await screen.findByText("tina@example.com now has the role Auditors; their sessions ended.")).toBeInTheDocument();
    });

    it("gives a built-in role back to a user with a custom one", async () => {
      answer(async (input) => ((input as Request).method === "PATCH" ? json({ ...hank, role: "readonly" }) : json({ items: [] })));
      renderUsers("admin", [owner, self("admin"), hank]);
      await userEvent.click(within(await row("hank@example.com")).getByRole("combobox", { name: "Role of hank@example.com" }));
      await userEvent.click(await screen.findByRole("option", { name: "Read-only" }));
      await waitFor(() => expect(requests().some((request) => request.method === "PATCH")).toBe(true));
      expect(
        await requests()
          .find((request) => request.method === "PATCH")!
          .clone()
          .json(),
      ).toEqual({ role: "readonly" });
    });

    it("offers a narrower manager only the roles they could give, and no action on users holding more", async () => {
      renderUsers("custom", [owner, self("custom"), tina, dan, hank], [invitation], LEAD);
      // Tina is a technician (run_commands, …) and Olga an owner: neither is theirs to manage.
      for (const email of ["tina@example.com", "olga@example.com"]) {
        const locked = await row(email);
        expect(within(locked).queryByRole("combobox")).toBeNull();
        expect(within(locked).queryByRole("button")).toBeNull();
        expect(within(locked).getByTestId("user-not-manageable")).toBeInTheDocument();
      }
      expect(within(await row("tina@example.com")).getByTestId("user-role")).toHaveTextContent("Technician");
      expect(within(await row("tina@example.com")).getByTestId("user-not-manageable")).toHaveAttribute(
        "title",
        expect.stringContaining("run_commands"),
      );
      // Dan (read-only) and Hank (Helpdesk) hold nothing they lack.
      const danRow = await row("dan@example.com");
      expect(within(danRow).getByRole("button", { name: "Remove dan@example.com" })).toBeInTheDocument();
      await userEvent.click(within(await row("hank@example.com")).getByRole("combobox", { name: "Role of hank@example.com" }));
      expect((await screen.findAllByRole("option")).map((option) => option.textContent)).toEqual(["Read-only", "Helpdesk"]);
    });

    it("shows the server's refusal to give a role", async () => {
      answer(async (input) =>
        (input as Request).method === "PATCH"
          ? json(
              {
                error: {
                  code: "forbidden",
                  message: "the role Auditors holds permissions you do not have (view_audit); ask someone who holds them",
                },
              },
              403,
            )
          : json({ items: [] }),
      );
      renderUsers("admin");
      await userEvent.click(within(await row("tina@example.com")).getByRole("combobox", { name: "Role of tina@example.com" }));
      await userEvent.click(await screen.findByRole("option", { name: "Auditors" }));
      expect(
        await screen.findByText("the role Auditors holds permissions you do not have (view_audit); ask someone who holds them"),
      ).toBeInTheDocument();
    });
  });
});
