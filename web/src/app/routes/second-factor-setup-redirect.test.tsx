import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryHistory, createRootRoute, createRoute, createRouter, Outlet, RouterProvider } from "@tanstack/react-router";
import { render, screen, waitFor } from "@testing-library/react";
import { api } from "@/api/client";
import type { User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { forgetSession, sessionChanged } from "@/lib/session";
import { testUser } from "@/test/render-page";
import { SecondFactorSetupRedirect } from "./second-factor-setup-redirect";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const REFUSAL = {
  error: {
    code: "second_factor_setup_required",
    message: "your organization requires a second factor: set one up on your account page first",
  },
};

/** The redirect where the app has it, in the layout above every page, with a page at every path. */
async function renderLayout(user: User = testUser("technician")) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  queryClient.setQueryData(currentUserQueryKey, user);
  const rootRoute = createRootRoute({
    component: () => (
      <>
        <SecondFactorSetupRedirect />
        <Outlet />
      </>
    ),
  });
  const pageRoute = createRoute({ getParentRoute: () => rootRoute, path: "$", component: () => <p>a page</p> });
  const router = createRouter({
    routeTree: rootRoute.addChildren([pageRoute]),
    history: createMemoryHistory({ initialEntries: ["/agents"] }),
  });
  render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router as never} />
    </QueryClientProvider>,
  );
  await screen.findByText("a page");
  return { router, queryClient };
}

describe("SecondFactorSetupRedirect", () => {
  beforeEach(() => {
    document.cookie = "gururmm_csrf=c5rf; Path=/";
    sessionChanged();
    fetchMock.mockReset();
  });
  afterEach(() => forgetSession());

  it("sends a user the server refuses for want of a second factor to their account page, marked as such", async () => {
    const required: User = { ...testUser("technician"), second_factor_setup_required: true };
    fetchMock.mockImplementation(async (input) =>
      new URL((input as Request).url).pathname === "/api/v1/auth/me" ? json(required) : json(REFUSAL, 403),
    );
    const { router, queryClient } = await renderLayout();
    expect(router.state.location.pathname).toBe("/agents");
    await api.GET("/api/v1/agents");
    await waitFor(() => expect(router.state.location.pathname).toBe("/account"));
    expect(queryClient.getQueryData<User>(currentUserQueryKey)?.second_factor_setup_required).toBe(true);
  });

  it("sends a user whose record says so there at once, and back there from any other page", async () => {
    const { router, queryClient } = await renderLayout();
    queryClient.setQueryData<User>(currentUserQueryKey, { ...testUser("admin"), second_factor_setup_required: true });
    await waitFor(() => expect(router.state.location.pathname).toBe("/account"));
    await router.navigate({ to: "/clients" });
    await waitFor(() => expect(router.state.location.pathname).toBe("/account"));
  });

  it("leaves everyone else where they are, whatever other 403 the server answers", async () => {
    fetchMock.mockImplementation(async () =>
      json({ error: { code: "permission_denied", message: "this needs the manage_users permission" } }, 403),
    );
    const { router } = await renderLayout();
    await api.GET("/api/v1/users");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(router.state.location.pathname).toBe("/agents");
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
