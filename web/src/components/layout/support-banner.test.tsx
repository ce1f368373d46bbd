import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryHistory, createRootRoute, createRoute, createRouter, Outlet, RouterProvider } from "@tanstack/react-router";
import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { LoginResponse, User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { getSession, sessionChanged } from "@/lib/session";
import { testUser } from "@/test/render-page";
import { formatCountdown, SupportBanner } from "./support-banner";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** The operator of Best MSP in a support session in Acme IT, ending `inMs` from now. */
function supporting(inMs: number): User {
  return {
    ...testUser("owner"),
    organization_id: "o2",
    organization_name: "Acme IT",
    support: {
      home_organization_name: "Best MSP",
      reason: "ticket 4521: alerts stopped",
      expires_at: new Date(Date.now() + inMs).toISOString(),
    },
  };
}

const HOME: LoginResponse = {
  token: null,
  expires_at: new Date(Date.now() + 86_400_000).toISOString(),
  user: { ...testUser("owner"), operator: true },
};

/** The banner above a page at /agents, with the organizations page at /operator. */
async function renderBanner(user: User) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  queryClient.setQueryData(currentUserQueryKey, user);
  const rootRoute = createRootRoute({
    component: () => (
      <>
        <SupportBanner />
        <Outlet />
      </>
    ),
  });
  const agents = createRoute({ getParentRoute: () => rootRoute, path: "/agents", component: () => <p>the agents</p> });
  const organizations = createRoute({ getParentRoute: () => rootRoute, path: "/operator", component: () => <p>the organizations</p> });
  const router = createRouter({
    routeTree: rootRoute.addChildren([agents, organizations]),
    history: createMemoryHistory({ initialEntries: ["/agents"] }),
  });
  render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router as never} />
    </QueryClientProvider>,
  );
  await screen.findByText("the agents");
  return { queryClient, router };
}

describe("SupportBanner", () => {
  beforeEach(() => {
    document.cookie = "gururmm_csrf=c5rf; Path=/";
    sessionChanged();
    fetchMock.mockReset();
    fetchMock.mockImplementation(async () => {
      // A new session has a new CSRF cookie, as the server sets it with the answer.
      document.cookie = "gururmm_csrf=h0me; Path=/";
      return json(HOME);
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("is not shown outside a support session", async () => {
    await renderBanner({ ...testUser("owner"), operator: true });
    expect(screen.queryByTestId("support-banner")).toBeNull();
  });

  it("names the organization and the reason, and counts down to the end", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    await renderBanner(supporting(25 * 60_000 + 30_000));
    const banner = screen.getByTestId("support-banner");
    expect(banner).toHaveTextContent(/^Support access to Acme IT — ticket 4521: alerts stopped — ends in 25m 30s/);
    expect(screen.getByTestId("support-banner-organization")).toHaveTextContent("Acme IT");
    expect(screen.getByTestId("support-banner-reason")).toHaveTextContent("ticket 4521: alerts stopped");
    expect(screen.getByRole("button", { name: "End support access" })).toBeInTheDocument();

    act(() => vi.advanceTimersByTime(5_000));
    expect(screen.getByTestId("support-banner-countdown")).toHaveTextContent("ends in 25m 25s");
    act(() => vi.advanceTimersByTime(25 * 60_000));
    expect(screen.getByTestId("support-banner-countdown")).toHaveTextContent("ends in 25s");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("ends support access, back in the operator's organization on the organizations page", async () => {
    const { queryClient, router } = await renderBanner(supporting(3_600_000));
    await userEvent.click(screen.getByRole("button", { name: "End support access" }));
    expect(await screen.findByText("the organizations")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/operator");
    const request = fetchMock.mock.calls[0]![0] as Request;
    expect(request.method).toBe("POST");
    expect(new URL(request.url).pathname).toBe("/api/v1/auth/support/end");
    expect(await request.json()).toEqual({ cookie: true });
    expect(queryClient.getQueryData<User>(currentUserQueryKey)?.support).toBeUndefined();
    await waitFor(() => expect(screen.queryByTestId("support-banner")).toBeNull());
  });

  it("asks the server again when the time is up, whose 401 signs the dashboard out", async () => {
    fetchMock.mockImplementation(async () => json({ error: { code: "unauthorized", message: "session expired" } }, 401));
    await renderBanner(supporting(-1_000));
    expect(screen.getByTestId("support-banner-countdown")).toHaveTextContent("ending now");
    await waitFor(() => expect(getSession()).toBeNull());
    const request = fetchMock.mock.calls[0]![0] as Request;
    expect(request.method).toBe("GET");
    expect(new URL(request.url).pathname).toBe("/api/v1/auth/me");
  });
});

describe("formatCountdown", () => {
  it("counts hours, minutes and seconds, never below zero", () => {
    expect(formatCountdown(3_723_000)).toBe("1h 02m 03s");
    expect(formatCountdown(125_000)).toBe("2m 05s");
    expect(formatCountdown(9_000)).toBe("9s");
    expect(formatCountdown(8_100)).toBe("9s");
    expect(formatCountdown(-5_000)).toBe("0s");
  });
});
