import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Permission, Role } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { customRole, roleList } from "@/test/fixtures";
import { renderPage, testUser } from "@/test/render-page";
import { userKeys, type LinkCreated, type RoleList } from "../api/users";
import { InviteUserDialog } from "./invite-user-dialog";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

const HOUR = 3_600_000;
const LINK = "http://rmm.example.com/welcome#token=gri_0123456789abcdef";

function created(overrides: Partial<LinkCreated> = {}): LinkCreated {
  const now = Date.now();
  return {
    invitation: {
      id: "i1",
      email: "new@example.com",
      role: "technician",
      created_by_email: "tech@example.com",
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + 72 * HOUR).toISOString(),
    },
    link: LINK,
    emailed: false,
    email_error: null,
    ...overrides,
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const helpdesk = customRole();
const auditors = customRole({ id: "r2", name: "Auditors", description: "", permissions: ["view_agents", "view_audit"] });

function answerInvite(answer: () => Response, roles: RoleList = roleList([])) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    if (request.method === "POST") return answer();
    return new URL(request.url).pathname === "/api/v1/roles" ? json(roles) : json({ items: [] });
  });
}

function renderDialog(role: Role = "admin", roles: RoleList = roleList([]), permissions?: Permission[]) {
  const result = renderPage(<InviteUserDialog />, {
    role,
    seed: [
      [userKeys.list, { items: [] }],
      [userKeys.invitations, { items: [] }],
      [userKeys.roles, roles],
    ],
  });
  if (permissions) result.queryClient.setQueryData(currentUserQueryKey, { ...testUser(role), permissions });
  return result;
}

async function invite(email: string, role?: string, { open = true } = {}): Promise<HTMLElement> {
  if (open) await userEvent.click(await screen.findByRole("button", { name: "Invite user" }));
  const dialog = await screen.findByTestId("invite-user-dialog");
  await userEvent.type(within(dialog).getByLabelText("Email"), email);
  if (role) {
    await userEvent.click(within(dialog).getByLabelText("Role"));
    await userEvent.click(await screen.findByRole("option", { name: role }));
  }
  await userEvent.click(within(dialog).getByRole("button", { name: "Invite" }));
  return dialog;
}

function postedBodies(): Promise<unknown[]> {
  return Promise.all(
    fetchMock.mock.calls
      .map((call) => call[0] as Request)
      .filter((request) => request.method === "POST")
      .map((request) => request.clone().json()),
  );
}

describe("InviteUserDialog", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("invites with a role and shows the link once, valid once for 72 hours", async () => {
    answerInvite(() => json(created({ invitation: { ...created().invitation, role: "readonly" } }), 201));
    renderDialog();
    const dialog = await invite("  new@example.com ", "Read-only");

    expect(await within(dialog).findByTestId("one-time-link")).toHaveTextContent(LINK);
    expect(within(dialog).getByTestId("link-shown-once")).toHaveTextContent("It works once, for 72 hours.");
    expect(within(dialog).getByTestId("link-shown-once")).toHaveTextContent("shown only this once");
    expect(within(dialog).getByRole("button", { name: "Copy link" })).toBeInTheDocument();
    expect(dialog).toHaveTextContent("new@example.com is invited");
    expect(dialog).toHaveTextContent("join as a read-only user");
    expect(await postedBodies()).toEqual([{ email: "new@example.com", role: "readonly" }]);

    // Closed and opened again, the dialog is a fresh form: the link is gone for good.
    await userEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    await userEvent.click(screen.getByRole("button", { name: "Invite user" }));
    const again = await screen.findByTestId("invite-user-dialog");
    expect(within(again).queryByTestId("one-time-link")).toBeNull();
    expect(screen.queryByText(LINK)).toBeNull();
    expect(within(again).getByLabelText("Email")).toHaveValue("");
  });

  it("says the invitation was emailed, without a link", async () => {
    answerInvite(() => json(created({ link: null, emailed: true }), 201));
    renderDialog();
    const dialog = await invite("new@example.com");
    expect(await within(dialog).findByTestId("link-emailed")).toHaveTextContent("emailed to new@example.com. It works once, for 72 hours.");
    expect(within(dialog).queryByTestId("one-time-link")).toBeNull();
    expect(await postedBodies()).toEqual([{ email: "new@example.com", role: "technician" }]);
  });

  it("shows why emailing failed, and the link to pass on instead", async () => {
    answerInvite(() => json(created({ email_error: "connection refused by smtp.example.com" }), 201));
    renderDialog();
    const dialog = await invite("new@example.com");
    expect(await within(dialog).findByTestId("link-email-error")).toHaveTextContent("connection refused by smtp.example.com");
    expect(within(dialog).getByTestId("one-time-link")).toHaveTextContent(LINK);
  });

  it("shows the server's refusal of the address on the email field", async () => {
    answerInvite(() =>
      json({ error: { code: "conflict", message: "email: new@example.com is already a user of your organization" } }, 409),
    );
    renderDialog();
    const dialog = await invite("new@example.com");
    expect(await within(dialog).findByTestId("invite-email-error")).toHaveTextContent(
      "New@example.com is already a user of your organization",
    );
    expect(within(dialog).getByLabelText("Email")).toHaveAttribute("aria-invalid", "true");
    expect(within(dialog).queryByTestId("one-time-link")).toBeNull();
  });

  it("asks for an address before sending anything", async () => {
    renderDialog();
    await userEvent.click(await screen.findByRole("button", { name: "Invite user" }));
    const dialog = await screen.findByTestId("invite-user-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Invite" }));
    expect(within(dialog).getByTestId("invite-email-error")).toHaveTextContent("Enter the address to invite.");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("offers the owner role to an owner only", async () => {
    renderDialog("owner");
    await userEvent.click(await screen.findByRole("button", { name: "Invite user" }));
    await userEvent.click(within(await screen.findByTestId("invite-user-dialog")).getByLabelText("Role"));
    expect((await screen.findAllByRole("option")).map((option) => option.textContent)).toEqual([
      "Owner",
      "Admin",
      "Technician",
      "Read-only",
    ]);
  });

  it("offers the organization's custom roles after the built-in ones and sends the one chosen by id", async () => {
    const roles = roleList([helpdesk, auditors]);
    answerInvite(
      () =>
        json(created({ invitation: { ...created().invitation, role: "custom", custom_role: { id: helpdesk.id, name: "Helpdesk" } } }), 201),
      roles,
    );
    renderDialog("admin", roles);
    await userEvent.click(await screen.findByRole("button", { name: "Invite user" }));
    const form = await screen.findByTestId("invite-user-dialog");
    await userEvent.click(within(form).getByLabelText("Role"));
    expect((await screen.findAllByRole("option")).map((option) => option.textContent)).toEqual([
      "Admin",
      "Technician",
      "Read-only",
      "Helpdesk",
      "Auditors",
    ]);
    await userEvent.click(screen.getByRole("option", { name: "Helpdesk" }));
    expect(form).toHaveTextContent("First line: sees the fleet and runs the approved scripts.");
    const dialog = await invite("new@example.com", undefined, { open: false });
    expect(await within(dialog).findByTestId("one-time-link")).toHaveTextContent(LINK);
    expect(dialog).toHaveTextContent("join as the role Helpdesk");
    expect(await postedBodies()).toEqual([{ email: "new@example.com", role: "custom", custom_role_id: helpdesk.id }]);
  });

  it("offers only the roles whose permissions the inviter holds", async () => {
    // A helpdesk lead: sees the fleet, runs scripts and manages users, nothing more.
    renderDialog("custom", roleList([helpdesk, auditors]), ["view_agents", "run_scripts", "manage_users"]);
    await userEvent.click(await screen.findByRole("button", { name: "Invite user" }));
    const dialog = await screen.findByTestId("invite-user-dialog");
    // Technician is not theirs to give, so the narrowest built-in role is chosen first.
    expect(within(dialog).getByLabelText("Role")).toHaveTextContent("Read-only");
    await userEvent.click(within(dialog).getByLabelText("Role"));
    expect((await screen.findAllByRole("option")).map((option) => option.textContent)).toEqual(["Read-only", "Helpdesk"]);
  });

  it("shows the server's refusal of a role it will not let the inviter give", async () => {
    answerInvite(() =>
      json(
        {
          error: {
            code: "forbidden",
            message: "the role Helpdesk holds permissions you do not have (run_scripts); ask someone who holds them",
          },
        },
        403,
      ),
    );
    renderDialog();
    const dialog = await invite("new@example.com");
    expect(await within(dialog).findByTestId("invite-failure")).toHaveTextContent(
      "the role Helpdesk holds permissions you do not have (run_scripts)",
    );
    expect(within(dialog).queryByTestId("invite-email-error")).toBeNull();
  });
});
