import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryHistory, createRootRoute, createRoute, createRouter, Outlet, RouterProvider } from "@tanstack/react-router";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { LoginResponse, User } from "@/api/types";
import { TooltipProvider } from "@/components/ui/tooltip";
import { currentUserQueryKey } from "@/lib/auth";
import { getSession, sessionChanged } from "@/lib/session";
import { testUser } from "@/test/render-page";
import { operatorKeys, type OperatorOrganization } from "../api/operator";
import { isOwnOrganization, OperatorPage } from "./operator-page";
import { reasonProblem, supportLength } from "./support-access-dialog";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function organization(overrides: Partial<OperatorOrganization> = {}): OperatorOrganization {
  return { id: "o", name: "Best MSP", created_at: "2026-01-01T00:00:00Z", suspended_at: null, users: 3, agents: 12, ...overrides };
}

const OWN = organization();
const ACME = organization({ id: "o2", name: "Acme IT", users: 1, agents: 0 });
const GLOBEX = organization({ id: "o3", name: "Globex Services", suspended_at: "2026-02-01T00:00:00Z" });

function operator(): User {
  return { ...testUser("owner"), operator: true };
}

/** The operator in a support session in Acme IT, as the server answers it. */
function supporting(): User {
  return {
    ...testUser("owner"),
    permissions: testUser("owner").permissions.filter(
      (permission) => !["manage_users", "view_secrets", "manage_organization"].includes(permission),
    ),
    organization_id: "o2",
    organization_name: "Acme IT",
    support: { home_organization_name: "Best MSP", reason: "ticket 4521", expires_at: new Date(Date.now() + 3_600_000).toISOString() },
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function posts(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method === "POST");
}

/** Answers the list, and each POST with `onPost`'s answer. */
function serve(onPost: (request: Request) => Response) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    if (request.method === "POST") {
      const answer = onPost(request);
      // A new session has a new CSRF cookie, as the server sets it with the answer.
      if (answer.ok) document.cookie = "gururmm_csrf=supp0rt; Path=/";
      return answer;
    }
    if (new URL(request.url).pathname === "/api/v1/auth/me") return json(operator());
    return json({ items: [ACME, OWN, GLOBEX] });
  });
}

/** The organizations page at /operator, with the dashboard's home at /. */
async function renderOrganizations() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  queryClient.setQueryData(currentUserQueryKey, operator());
  queryClient.setQueryData(operatorKeys.organizations, { items: [ACME, OWN, GLOBEX] });
  const rootRoute = createRootRoute({ component: Outlet });
  const home = createRoute({ getParentRoute: () => rootRoute, path: "/", component: () => <p>the dashboard home</p> });
  const page = createRoute({ getParentRoute: () => rootRoute, path: "/operator", component: OperatorPage });
  const router = createRouter({
    routeTree: rootRoute.addChildren([home, page]),
    history: createMemoryHistory({ initialEntries: ["/operator"] }),
  });
  render(
    <QueryClientProvider client={queryClient}>
      <TooltipProvider>
        <RouterProvider router={router as never} />
      </TooltipProvider>
    </QueryClientProvider>,
  );
  await screen.findAllByTestId("organization-row");
  return { queryClient, router };
}

function row(name: string): HTMLElement {
  const found = screen.getAllByTestId("organization-row").find((candidate) => candidate.getAttribute("data-name") === name);
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

async function openDialog(name = "Acme IT") {
  await userEvent.click(within(row(name)).getByRole("button", { name: `Support access to ${name}` }));
  return screen.findByTestId("support-access-dialog");
}

describe("SupportAccessDialog", () => {
  beforeEach(() => {
    document.cookie = "gururmm_csrf=c5rf; Path=/";
    sessionChanged();
    fetchMock.mockReset();
    serve(() => json({}));
  });

  it("is offered for every active organization but the operator's own", async () => {
    await renderOrganizations();
    expect(within(row("Acme IT")).getByRole("button", { name: "Support access to Acme IT" })).toBeInTheDocument();
    expect(within(row("Best MSP")).queryByRole("button", { name: /Support access/ })).toBeNull();
    expect(within(row("Globex Services")).queryByRole("button", { name: /Support access/ })).toBeNull();
  });

  it("explains what support access is, with an hour chosen", async () => {
    await renderOrganizations();
    const dialog = await openDialog();
    expect(within(dialog).getByRole("heading", { name: "Support access to Acme IT" })).toBeInTheDocument();
    const explanation = within(dialog).getByTestId("support-access-explanation");
    expect(explanation).toHaveTextContent("A new session opens inside Acme IT");
    expect(explanation).toHaveTextContent("except managing its users, reading its secrets or changing its settings");
    expect(explanation).toHaveTextContent("It ends by itself after the time you choose");
    expect(explanation).toHaveTextContent("recorded in both audit logs");
    const lengths = within(dialog).getAllByRole("radio");
    expect(lengths.map((option) => option.textContent)).toEqual(["15 min", "30 min", "1 h", "2 h", "4 h"]);
    expect(within(dialog).getByRole("radio", { name: "1 h" })).toHaveAttribute("aria-checked", "true");
    expect(within(dialog).getByRole("button", { name: "Start support access for 1 h" })).toBeInTheDocument();
  });

  it("asks for a reason, of at most 500 characters, before sending anything", async () => {
    await renderOrganizations();
    const dialog = await openDialog();
    const start = within(dialog).getByTestId("support-confirm");
    await userEvent.click(start);
    expect(within(dialog).getByTestId("support-reason-error")).toHaveTextContent("Say why you need access");
    expect(within(dialog).getByLabelText("Reason")).toHaveAttribute("aria-invalid", "true");

    await userEvent.type(within(dialog).getByLabelText("Reason"), "   ");
    await userEvent.click(start);
    expect(within(dialog).getByTestId("support-reason-error")).toHaveTextContent("Say why you need access");

    await userEvent.click(within(dialog).getByLabelText("Reason"));
    await userEvent.paste("x".repeat(501));
    await userEvent.click(start);
    expect(within(dialog).getByTestId("support-reason-error")).toHaveTextContent("Use at most 500 characters");
    expect(posts()).toHaveLength(0);
  });

  it("opens the session with the reason and length, then goes to that organization's home", async () => {
    const answer: LoginResponse = { token: null, expires_at: new Date(Date.now() + 1_800_000).toISOString(), user: supporting() };
    serve(() => json(answer));
    const { queryClient, router } = await renderOrganizations();
    const dialog = await openDialog();
    await userEvent.type(within(dialog).getByLabelText("Reason"), "  ticket 4521  ");
    await userEvent.click(within(dialog).getByRole("radio", { name: "30 min" }));
    expect(within(dialog).getByRole("radio", { name: "30 min" })).toHaveAttribute("aria-checked", "true");
    await userEvent.click(within(dialog).getByRole("button", { name: "Start support access for 30 min" }));

    expect(await screen.findByText("the dashboard home")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
    const [request] = posts();
    expect(new URL(request!.url).pathname).toBe("/api/v1/operator/organizations/o2/support");
    expect(await request!.json()).toEqual({ reason: "ticket 4521", minutes: 30, cookie: true });
    // The session's user is the one of the answer: acting in Acme IT, with the support banner's facts.
    expect(queryClient.getQueryData<User>(currentUserQueryKey)?.organization_name).toBe("Acme IT");
    expect(queryClient.getQueryData<User>(currentUserQueryKey)?.support?.reason).toBe("ticket 4521");
    expect(getSession()).toBe("supp0rt");
  });

  it("sends an hour unless another length is chosen", async () => {
    serve(() => json({ token: null, expires_at: new Date().toISOString(), user: supporting() }));
    await renderOrganizations();
    const dialog = await openDialog();
    await userEvent.type(within(dialog).getByLabelText("Reason"), "ticket 1");
    await userEvent.click(within(dialog).getByTestId("support-confirm"));
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(await posts()[0]!.json()).toEqual({ reason: "ticket 1", minutes: 60, cookie: true });
  });

  it("shows the server's refusal inside the dialog and stays", async () => {
    serve(() => json({ error: { code: "conflict", message: "the organization is suspended; resume it first" } }, 409));
    const { router } = await renderOrganizations();
    const dialog = await openDialog();
    await userEvent.type(within(dialog).getByLabelText("Reason"), "ticket 1");
    await userEvent.click(within(dialog).getByTestId("support-confirm"));
    expect(await within(dialog).findByTestId("support-failure")).toHaveTextContent("the organization is suspended; resume it first");
    expect(router.state.location.pathname).toBe("/operator");
  });
});

describe("support access helpers", () => {
  it("marks the operator's own organization, by its name during a support session", () => {
    expect(isOwnOrganization(operator(), OWN)).toBe(true);
    expect(isOwnOrganization(operator(), ACME)).toBe(false);
    expect(isOwnOrganization(supporting(), OWN)).toBe(true);
    expect(isOwnOrganization(supporting(), ACME)).toBe(false);
  });

  it("names the lengths and checks the reason", () => {
    expect([15, 30, 60, 120, 240].map(supportLength)).toEqual(["15 min", "30 min", "1 h", "2 h", "4 h"]);
    expect(reasonProblem(" ")).toMatch(/^Say why/);
    expect(reasonProblem("x".repeat(500))).toBeNull();
    expect(reasonProblem("é".repeat(501))).toBe("Use at most 500 characters (501 now).");
  });
});
