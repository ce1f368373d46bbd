import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Permission, Role } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { customRole, roleList } from "@/test/fixtures";
import { renderPage, testUser } from "@/test/render-page";
import { roleKeys, type RoleList } from "../api/roles";
import { RolesPage } from "./roles-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const helpdesk = customRole();
const auditors = customRole({
  id: "r2",
  name: "Auditors",
  description: "",
  permissions: ["view_agents", "view_audit", "view_secrets"],
  user_count: 0,
  invitation_count: 2,
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function requests(method: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method === method);
}

/** Answers the roles list with `list` and changes with `change`. */
function answer(list: RoleList, change: (request: Request) => Response = () => json({}, 500)) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    const path = new URL(request.url).pathname;
    if (request.method === "GET" && path === "/api/v1/roles") return json(list);
    if (request.method === "GET" && path === "/api/v1/auth/me") return json(testUser("admin"));
    if (request.method === "GET") return json({ items: [] });
    return change(request);
  });
}

function renderRoles(role: Role = "admin", seeded: RoleList | null = roleList([helpdesk, auditors]), permissions?: Permission[]) {
  const result = renderPage(<RolesPage />, { role, seed: seeded ? [[roleKeys.list, seeded]] : [] });
  if (permissions) result.queryClient.setQueryData(currentUserQueryKey, { ...testUser(role), permissions });
  return result;
}

async function customRow(name: string): Promise<HTMLElement> {
  await screen.findByTestId("custom-roles-table");
  const found = screen.getAllByTestId("custom-role-row").find((candidate) => candidate.getAttribute("data-name") === name);
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

function permissionBox(dialog: HTMLElement, permission: Permission): HTMLInputElement {
  const box = within(dialog)
    .getAllByTestId("role-permission")
    .find((candidate) => candidate.getAttribute("data-permission") === permission);
  if (!box) throw new Error(`no box for ${permission}`);
  return box as HTMLInputElement;
}

describe("RolesPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    answer(roleList([helpdesk, auditors]));
  });

  it("reads and lists the built-in roles and the custom ones with who holds them", async () => {
    renderRoles("admin", null);
    const helpdeskRow = await customRow("Helpdesk");
    expect(within(helpdeskRow).getByTestId("custom-role-description")).toHaveTextContent("runs the approved scripts");
    expect(within(helpdeskRow).getByTestId("custom-role-permissions")).toHaveTextContent("2 permissions");
    expect(within(helpdeskRow).getByTestId("custom-role-permissions")).toHaveTextContent("view_agentsrun_scripts");
    expect(within(helpdeskRow).getByTestId("custom-role-holders")).toHaveTextContent("1 user0 pending invitations");
    expect(within(await customRow("Auditors")).getByTestId("custom-role-holders")).toHaveTextContent("0 users2 pending invitations");

    const builtIn = screen.getAllByTestId("built-in-role");
    expect(builtIn.map((row) => row.getAttribute("data-role"))).toEqual(["owner", "admin", "technician", "readonly"]);
    expect(builtIn[0]).toHaveTextContent("Every permission");
    expect(builtIn[3]).toHaveTextContent("Read-only");
    expect(builtIn[3]).toHaveTextContent("view_agents");
    expect(builtIn[2]).toHaveTextContent("run_commands");
    expect(builtIn[2]).not.toHaveTextContent("edit_scripts");
    // Built-in roles are read-only.
    expect(within(screen.getByTestId("built-in-roles")).queryByRole("button")).toBeNull();
    expect(requests("GET").map((request) => new URL(request.url).pathname)).toContain("/api/v1/roles");
  });

  it("says when there is no custom role yet", async () => {
    renderRoles("admin", roleList([]));
    expect(await screen.findByTestId("no-custom-roles")).toHaveTextContent("No custom role yet");
  });

  it.each(["technician", "readonly"] as const)("tells a %s they don't have permission, and asks the server nothing", async (role) => {
    renderRoles(role, null);
    const denied = await screen.findByTestId("roles-not-allowed");
    expect(denied).toHaveTextContent("You don't have permission to manage roles");
    expect(screen.queryByTestId("custom-roles-table")).toBeNull();
    expect(screen.queryByRole("button", { name: "New role" })).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("makes a role from the ticked permissions", async () => {
    answer(roleList([helpdesk, auditors]), () => json(customRole({ id: "r3", name: "Script runner" }), 201));
    renderRoles();
    await userEvent.click(await screen.findByRole("button", { name: "New role" }));
    const dialog = await screen.findByTestId("role-dialog");
    // Grouped, each with what it allows.
    expect(within(dialog).getByRole("group", { name: "Running on agents" })).toHaveTextContent("Run saved scripts on agents");
    await userEvent.type(within(dialog).getByLabelText("Name"), "Script runner");
    await userEvent.type(within(dialog).getByLabelText("Description"), "Runs the approved scripts");
    await userEvent.click(permissionBox(dialog, "run_scripts"));
    await userEvent.click(permissionBox(dialog, "view_agents"));
    expect(permissionBox(dialog, "run_scripts")).toBeChecked();
    expect(permissionBox(dialog, "edit_scripts")).not.toBeChecked();
    await userEvent.click(within(dialog).getByRole("button", { name: "Create role" }));
    await waitFor(() => expect(screen.queryByTestId("role-dialog")).toBeNull());
    const [post] = requests("POST");
    expect(new URL(post!.url).pathname).toBe("/api/v1/roles");
    expect(await post!.clone().json()).toEqual({
      name: "Script runner",
      description: "Runs the approved scripts",
      permissions: ["view_agents", "run_scripts"],
    });
  });

  it("shows the permissions the user does not hold disabled, and the server's 403 if it refuses anyway", async () => {
    answer(roleList([helpdesk]), () =>
      json(
        { error: { code: "forbidden", message: "the role holds permissions you do not have (run_scripts); ask someone who holds them" } },
        403,
      ),
    );
    renderRoles("custom", roleList([helpdesk]), ["view_agents", "run_scripts", "manage_users"]);
    await userEvent.click(await screen.findByRole("button", { name: "New role" }));
    const dialog = await screen.findByTestId("role-dialog");
    expect(permissionBox(dialog, "view_agents")).toBeEnabled();
    expect(permissionBox(dialog, "view_secrets")).toBeDisabled();
    expect(permissionBox(dialog, "edit_scripts")).toBeDisabled();
    expect(within(dialog).getAllByTestId("role-permission-not-held")).toHaveLength(10);
    expect(within(dialog).getAllByTestId("role-permission-not-held")[0]).toHaveTextContent(
      "You do not hold this permission, so you cannot give it.",
    );
    await userEvent.type(within(dialog).getByLabelText("Name"), "Runner");
    await userEvent.click(permissionBox(dialog, "run_scripts"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create role" }));
    expect(await within(dialog).findByTestId("role-failure")).toHaveTextContent("the role holds permissions you do not have (run_scripts)");
  });

  it.each([
    ["another role is named so", "Another role is named so"],
    ["name: Admins is a built-in role's name", "Admins is a built-in role's name"],
  ])("shows a 409 (%s) on the name field", async (message, shown) => {
    answer(roleList([helpdesk]), () => json({ error: { code: "conflict", message } }, 409));
    renderRoles();
    await userEvent.click(await screen.findByRole("button", { name: "New role" }));
    const dialog = await screen.findByTestId("role-dialog");
    await userEvent.type(within(dialog).getByLabelText("Name"), "Admins");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create role" }));
    expect(await within(dialog).findByTestId("role-name-error")).toHaveTextContent(shown);
    expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(within(dialog).queryByTestId("role-failure")).toBeNull();
  });

  it("shows the server's description refusal on its field, and its own checks before sending", async () => {
    answer(roleList([helpdesk]), () => json({ error: { code: "invalid", message: "description: at most 500 characters" } }, 422));
    renderRoles();
    await userEvent.click(await screen.findByRole("button", { name: "New role" }));
    const dialog = await screen.findByTestId("role-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create role" }));
    expect(within(dialog).getByTestId("role-name-error")).toHaveTextContent("Give the role a name");
    expect(requests("POST")).toHaveLength(0);
    await userEvent.type(within(dialog).getByLabelText("Name"), "Night shift");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create role" }));
    expect(await within(dialog).findByTestId("role-description-error")).toHaveTextContent("At most 500 characters");
  });

  it("edits a role, starting from what it holds", async () => {
    answer(roleList([helpdesk, auditors]), (request) => json({ ...helpdesk, name: "Helpdesk plus" }, request.method === "PUT" ? 200 : 500));
    renderRoles();
    await userEvent.click(within(await customRow("Helpdesk")).getByRole("button", { name: "Edit Helpdesk" }));
    const dialog = await screen.findByTestId("role-dialog");
    expect(within(dialog).getByLabelText("Name")).toHaveValue("Helpdesk");
    expect(within(dialog).getByLabelText("Description")).toHaveValue(helpdesk.description);
    expect(permissionBox(dialog, "view_agents")).toBeChecked();
    expect(permissionBox(dialog, "run_scripts")).toBeChecked();
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "Helpdesk plus");
    await userEvent.click(permissionBox(dialog, "manage_alerts"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByTestId("role-dialog")).toBeNull());
    const [put] = requests("PUT");
    expect(new URL(put!.url).pathname).toBe(`/api/v1/roles/${helpdesk.id}`);
    expect(await put!.clone().json()).toEqual({
      name: "Helpdesk plus",
      description: helpdesk.description,
      permissions: ["view_agents", "run_scripts", "manage_alerts"],
    });
  });

  it("shows the server's 409 when deleting a role still held", async () => {
    answer(roleList([helpdesk, auditors]), () =>
      json(
        {
          error: {
            code: "conflict",
            message: "the role is held by 1 user(s) and 0 pending invitation(s); give them another role first",
          },
        },
        409,
      ),
    );
    renderRoles();
    await userEvent.click(within(await customRow("Helpdesk")).getByRole("button", { name: "Delete Helpdesk" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Delete Helpdesk?");
    expect(dialog).toHaveTextContent("It is held by 1 user and 0 pending invitations");
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent(
      "the role is held by 1 user(s) and 0 pending invitation(s); give them another role first",
    );
    const [remove] = requests("DELETE");
    expect(new URL(remove!.url).pathname).toBe(`/api/v1/roles/${helpdesk.id}`);
  });

  it("deletes a role nobody holds", async () => {
    const unused = customRole({ id: "r9", name: "Unused", user_count: 0, invitation_count: 0 });
    answer(roleList([helpdesk]), () => new Response(null, { status: 204 }));
    renderRoles("admin", roleList([helpdesk, unused]));
    await userEvent.click(within(await customRow("Unused")).getByRole("button", { name: "Delete Unused" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Nobody holds it.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    await waitFor(() => expect(screen.getAllByTestId("custom-role-row").map((row) => row.getAttribute("data-name"))).toEqual(["Helpdesk"]));
  });

  it("offers no change of a role holding a permission the user lacks", async () => {
    renderRoles("custom", roleList([helpdesk, auditors]), ["view_agents", "run_scripts", "manage_users"]);
    const locked = await customRow("Auditors");
    expect(within(locked).queryByRole("button")).toBeNull();
    expect(within(locked).getByTestId("custom-role-locked")).toHaveAttribute("title", expect.stringContaining("view_secrets, view_audit"));
    expect(within(await customRow("Helpdesk")).getByRole("button", { name: "Edit Helpdesk" })).toBeInTheDocument();
  });
});
