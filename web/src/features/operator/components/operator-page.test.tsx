import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { renderPage, testUser } from "@/test/render-page";
import { operatorKeys, type OperatorOrganization, type OrganizationCreated } from "../api/operator";
import { fieldProblem } from "./new-organization-dialog";
import { OperatorPage } from "./operator-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const HOUR = 3_600_000;
const LINK = "http://rmm.example.com/welcome#token=gri_0123456789abcdef";

function organization(overrides: Partial<OperatorOrganization> = {}): OperatorOrganization {
  return {
    id: "o",
    name: "Best MSP",
    created_at: "2026-01-01T00:00:00Z",
    suspended_at: null,
    users: 3,
    agents: 12,
    ...overrides,
  };
}

const OWN = organization();
const ACME = organization({ id: "o2", name: "Acme IT", users: 1, agents: 0 });
const GLOBEX = organization({ id: "o3", name: "Globex Services", users: 4, agents: 7, suspended_at: "2026-02-01T00:00:00Z" });

function operator(): User {
  return { ...testUser("owner"), operator: true };
}

function created(overrides: Partial<OrganizationCreated["owner_invitation"]> = {}): OrganizationCreated {
  const now = Date.now();
  return {
    organization: organization({ id: "o4", name: "Initech", users: 0, agents: 0 }),
    owner_invitation: {
      invitation: {
        id: "i1",
        email: "boss@initech.example",
        role: "owner",
        created_by_email: "tech@example.com",
        created_at: new Date(now).toISOString(),
        expires_at: new Date(now + 72 * HOUR).toISOString(),
      },
      link: LINK,
      emailed: false,
      email_error: null,
      ...overrides,
    },
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

function posts(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method === "POST");
}

/**
 * Answers the list with `items` and each POST with `onPost`'s answer; an organization answered by a
 * POST replaces its namesake in later lists, as on the server.
 */
function serve(items: OperatorOrganization[], onPost: (request: Request) => Response = () => json({})) {
  let current = [...items];
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    const path = new URL(request.url).pathname;
    if (request.method === "POST") {
      const response = onPost(request);
      if (response.ok) {
        const body = (await response.clone().json()) as OperatorOrganization | OrganizationCreated;
        const changed = "organization" in body ? body.organization : body;
        current = [...current.filter((item) => item.id !== changed.id), changed].sort((a, b) => a.name.localeCompare(b.name));
      }
      return response;
    }
    if (path === "/api/v1/auth/me") return json(operator());
    return json({ items: current });
  });
}

function renderOperatorPage(user: User = operator(), seeded = true) {
  const result = renderPage(<OperatorPage />, { seed: seeded ? [[operatorKeys.organizations, { items: [ACME, OWN, GLOBEX] }]] : [] });
  result.queryClient.setQueryData(currentUserQueryKey, user);
  return result;
}

/** The operator's page with the list shown. */
async function renderListed() {
  const result = renderOperatorPage();
  await screen.findAllByTestId("organization-row");
  return result;
}

function row(name: string): HTMLElement {
  const found = screen.getAllByTestId("organization-row").find((candidate) => candidate.getAttribute("data-name") === name);
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

describe("OperatorPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    serve([ACME, OWN, GLOBEX]);
  });

  it.each(["owner", "admin", "technician"] as const)(
    "tells an %s who is not the operator that the page is not theirs, asking nothing",
    async (role) => {
      renderOperatorPage(testUser(role), false);
      const only = await screen.findByTestId("operator-only");
      expect(only).toHaveTextContent("Only the operator of this server manages organizations");
      expect(screen.queryByTestId("organizations-table")).toBeNull();
      expect(screen.queryByTestId("new-organization-button")).toBeNull();
      expect(fetchMock).not.toHaveBeenCalled();
    },
  );

  it("lists every organization with its users, agents and status, and marks the operator's own", async () => {
    renderOperatorPage(operator(), false);
    await screen.findAllByTestId("organization-row");
    expect(fetchMock.mock.calls.map((call) => new URL((call[0] as Request).url).pathname)).toContain("/api/v1/operator/organizations");
    expect(screen.getAllByTestId("organization-row").map((candidate) => candidate.getAttribute("data-name"))).toEqual([
      "Acme IT",
      "Best MSP",
      "Globex Services",
    ]);
    const own = row("Best MSP");
    expect(within(own).getByTestId("organization-yours")).toHaveTextContent("yours");
    expect(within(own).getByTestId("organization-users")).toHaveTextContent("3");
    expect(within(own).getByTestId("organization-agents")).toHaveTextContent("12");
    expect(within(own).getByTestId("organization-status")).toHaveTextContent("Active");
    expect(within(row("Acme IT")).queryByTestId("organization-yours")).toBeNull();
    const suspended = row("Globex Services");
    expect(suspended).toHaveAttribute("data-status", "suspended");
    expect(within(suspended).getByTestId("organization-status")).toHaveTextContent(/^Suspended since .*2026.*$/);
    expect(within(suspended).getByRole("button", { name: "Resume Globex Services" })).toBeInTheDocument();
    expect(within(suspended).queryByRole("button", { name: /^Suspend/ })).toBeNull();
  });

  it("never offers to suspend the operator's own organization", async () => {
    await renderListed();
    const own = row("Best MSP");
    expect(within(own).queryByRole("button", { name: /Suspend/ })).toBeNull();
    expect(within(own).queryByRole("button", { name: /Resume/ })).toBeNull();
    expect(within(own).getByTestId("organization-own-note")).toHaveTextContent("Your own");
    expect(within(row("Acme IT")).getByRole("button", { name: "Suspend Acme IT" })).toBeInTheDocument();
  });

  it("suspends an organization with a reason, after saying what that does", async () => {
    serve([ACME, OWN, GLOBEX], () => json({ ...ACME, suspended_at: new Date().toISOString() }));
    const { queryClient } = await renderListed();
    await userEvent.click(within(row("Acme IT")).getByRole("button", { name: "Suspend Acme IT" }));
    const dialog = await screen.findByTestId("suspend-organization-dialog");
    expect(dialog).toHaveTextContent("Its users are signed out at once and cannot sign in or use the API");
    expect(dialog).toHaveTextContent("Its agents stay connected");
    await userEvent.type(within(dialog).getByLabelText("Reason (optional)"), "  unpaid invoices  ");
    await userEvent.click(within(dialog).getByRole("button", { name: "Suspend" }));
    await waitFor(() => expect(screen.queryByTestId("suspend-organization-dialog")).toBeNull());
    const [request] = posts();
    expect(new URL(request!.url).pathname).toBe("/api/v1/operator/organizations/o2/suspend");
    expect(await request!.json()).toEqual({ reason: "unpaid invoices" });
    const list = queryClient.getQueryData<{ items: OperatorOrganization[] }>(operatorKeys.organizations);
    expect(list?.items.find((item) => item.id === "o2")?.suspended_at).toBeTruthy();
  });

  it("sends no reason when none is given, and refuses one over 500 characters before asking", async () => {
    serve([ACME, OWN, GLOBEX], () => json({ ...ACME, suspended_at: new Date().toISOString() }));
    await renderListed();
    await userEvent.click(within(row("Acme IT")).getByRole("button", { name: "Suspend Acme IT" }));
    const dialog = await screen.findByTestId("suspend-organization-dialog");
    const reason = within(dialog).getByLabelText("Reason (optional)");
    await userEvent.click(reason);
    await userEvent.paste("x".repeat(501));
    expect(dialog).toHaveTextContent("Use at most 500 characters (501 now).");
    expect(within(dialog).getByRole("button", { name: "Suspend" })).toBeDisabled();
    await userEvent.clear(reason);
    await userEvent.click(within(dialog).getByRole("button", { name: "Suspend" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(await posts()[0]!.json()).toEqual({ reason: null });
  });

  it("shows the server's refusal inside the suspend dialog", async () => {
    serve([ACME, OWN, GLOBEX], () => refusal(409, "conflict", "this is your own organization; suspending it would lock you out"));
    await renderListed();
    await userEvent.click(within(row("Acme IT")).getByRole("button", { name: "Suspend Acme IT" }));
    const dialog = await screen.findByTestId("suspend-organization-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Suspend" }));
    expect(await within(dialog).findByTestId("suspend-failure")).toHaveTextContent("suspending it would lock you out");
  });

  it("resumes a suspended organization", async () => {
    serve([ACME, OWN, GLOBEX], () => json({ ...GLOBEX, suspended_at: null }));
    await renderListed();
    await userEvent.click(within(row("Globex Services")).getByRole("button", { name: "Resume Globex Services" }));
    const confirm = await screen.findByRole("alertdialog");
    expect(confirm).toHaveTextContent("Its users may sign in and use the API again");
    await userEvent.click(within(confirm).getByRole("button", { name: "Resume" }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(new URL(posts()[0]!.url).pathname).toBe("/api/v1/operator/organizations/o3/resume");
    await waitFor(() => expect(within(row("Globex Services")).getByTestId("organization-status")).toHaveTextContent("Active"));
  });

  it("creates an organization and shows its owner's link once", async () => {
    serve([ACME, OWN, GLOBEX], () => json(created(), 201));
    const { queryClient } = await renderListed();
    await userEvent.click(screen.getByTestId("new-organization-button"));
    const dialog = await screen.findByTestId("new-organization-dialog");
    await userEvent.type(within(dialog).getByLabelText("Name"), " Initech ");
    await userEvent.type(within(dialog).getByLabelText("First owner's email"), "boss@initech.example");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await within(dialog).findByTestId("one-time-link")).toHaveTextContent(LINK);
    expect(within(dialog).getByTestId("link-shown-once")).toHaveTextContent(
      "Send this link to boss@initech.example yourself. It works once, for 72 hours. Copy it now: it is shown only this once.",
    );
    expect(within(dialog).getByRole("button", { name: "Copy link" })).toBeInTheDocument();
    expect(within(dialog).getByRole("heading", { name: "Initech is ready" })).toBeInTheDocument();
    expect(await posts()[0]!.json()).toEqual({ name: "Initech", owner_email: "boss@initech.example" });
    const list = queryClient.getQueryData<{ items: OperatorOrganization[] }>(operatorKeys.organizations);
    expect(list?.items.map((item) => item.name)).toContain("Initech");

    // Closed, the link is gone: opening the dialog again starts a new organization.
    await userEvent.click(within(dialog).getByTestId("organization-created-done"));
    await waitFor(() => expect(screen.queryByTestId("new-organization-dialog")).toBeNull());
    await userEvent.click(screen.getByTestId("new-organization-button"));
    const again = await screen.findByTestId("new-organization-dialog");
    expect(within(again).queryByTestId("one-time-link")).toBeNull();
    expect(within(again).getByLabelText("Name")).toHaveValue("");
    expect(screen.queryByText(LINK)).toBeNull();
  });

  it("says the owner's invitation was emailed when it was", async () => {
    serve([ACME, OWN, GLOBEX], () => json(created({ emailed: true, link: null }), 201));
    await renderListed();
    await userEvent.click(screen.getByTestId("new-organization-button"));
    const dialog = await screen.findByTestId("new-organization-dialog");
    await userEvent.type(within(dialog).getByLabelText("Name"), "Initech");
    await userEvent.type(within(dialog).getByLabelText("First owner's email"), "boss@initech.example");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await within(dialog).findByTestId("link-emailed")).toHaveTextContent("The invitation was emailed to boss@initech.example.");
    expect(within(dialog).queryByTestId("one-time-link")).toBeNull();
  });

  it("shows a taken name and a refused address on their fields", async () => {
    let answer = () => refusal(409, "conflict", 'name: an organization is named "Acme IT" already');
    serve([ACME, OWN, GLOBEX], () => answer());
    await renderListed();
    await userEvent.click(screen.getByTestId("new-organization-button"));
    const dialog = await screen.findByTestId("new-organization-dialog");
    await userEvent.type(within(dialog).getByLabelText("Name"), "acme it");
    await userEvent.type(within(dialog).getByLabelText("First owner's email"), "not-an-address");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await within(dialog).findByTestId("new-organization-name-error")).toHaveTextContent(
      'An organization is named "Acme IT" already',
    );
    expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");

    answer = () => refusal(422, "invalid", 'email: "not-an-address" is not an email address');
    await userEvent.type(within(dialog).getByLabelText("Name"), " 2");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await within(dialog).findByTestId("new-organization-email-error")).toHaveTextContent('"not-an-address" is not an email address');
    expect(within(dialog).queryByTestId("new-organization-name-error")).toBeNull();
    expect(within(dialog).queryByTestId("one-time-link")).toBeNull();
  });

  it("asks for a name and an address before sending anything", async () => {
    await renderListed();
    await userEvent.click(screen.getByTestId("new-organization-button"));
    const dialog = await screen.findByTestId("new-organization-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(within(dialog).getByTestId("new-organization-name-error")).toHaveTextContent("Give the organization a name.");
    expect(within(dialog).getByTestId("new-organization-email-error")).toHaveTextContent("Enter the email address of its first owner.");
    expect(posts()).toHaveLength(0);
  });
});

describe("fieldProblem", () => {
  it("places the server's refusals on their field", () => {
    expect(fieldProblem('name: an organization is named "X" already')).toEqual({
      field: "name",
      message: 'An organization is named "X" already',
    });
    expect(fieldProblem("email: give an address of at most 254 characters")).toEqual({
      field: "email",
      message: "Give an address of at most 254 characters",
    });
    expect(fieldProblem("something else went wrong")).toBeNull();
  });
});
