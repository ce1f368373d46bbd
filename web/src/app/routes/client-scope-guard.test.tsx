import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryHistory, createRootRoute, createRoute, createRouter, Outlet, RouterProvider } from "@tanstack/react-router";
import { render, screen } from "@testing-library/react";
import type { User } from "@/api/types";
import { TooltipProvider } from "@/components/ui/tooltip";
import { ClientScopeBadge } from "@/features/clients/components/client-scope-badge";
import { currentUserQueryKey } from "@/lib/auth";
import { CLIENTS, scopedUser } from "@/test/client-scope";
import { pageOf } from "@/test/fixtures";
import { testUser } from "@/test/render-page";
import { ClientScopeGuard } from "./client-scope-guard";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

/** The guard where the app has it, around every page, opened at `path`. */
function renderAt(path: string, user: User) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  queryClient.setQueryData(currentUserQueryKey, user);
  const rootRoute = createRootRoute({
    component: () => (
      <>
        <ClientScopeBadge />
        <ClientScopeGuard>
          <Outlet />
        </ClientScopeGuard>
      </>
    ),
  });
  const pageRoute = createRoute({ getParentRoute: () => rootRoute, path: "$", component: () => <p>the page</p> });
  const router = createRouter({ routeTree: rootRoute.addChildren([pageRoute]), history: createMemoryHistory({ initialEntries: [path] }) });
  render(
    <QueryClientProvider client={queryClient}>
      <TooltipProvider>
        <RouterProvider router={router as never} />
      </TooltipProvider>
    </QueryClientProvider>,
  );
}

describe("ClientScopeGuard", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(
      async () => new Response(JSON.stringify(pageOf(CLIENTS.slice(0, 2), 200)), { headers: { "Content-Type": "application/json" } }),
    );
  });

  it.each(["/scripts/new", "/policies", "/users", "/agents/deleted", "/organization", "/single-sign-on"])(
    "tells a user limited to some clients that %s is not for them",
    async (path) => {
      renderAt(path, scopedUser());
      expect(await screen.findByTestId("client-scope-refused")).toHaveTextContent(
        "Your access is limited to some clients; this page is not available to you.",
      );
      expect(screen.queryByText("the page")).toBeNull();
      expect(screen.getByTestId("client-scope-badge")).toHaveTextContent("Limited to 2 clients");
    },
  );

  it.each([
    "/",
    "/alerts",
    "/checks",
    "/agents",
    "/agents/a1",
    "/clients",
    "/clients/c1",
    "/sites/s1",
    "/account",
    "/api-keys",
    "/operator",
  ])("shows %s to a user limited to some clients", async (path) => {
    renderAt(path, scopedUser());
    expect(await screen.findByText("the page")).toBeInTheDocument();
    expect(screen.queryByTestId("client-scope-refused")).toBeNull();
  });

  it("shows every page, and no note, to a user of the whole organization", async () => {
    renderAt("/alerts", testUser("technician"));
    expect(await screen.findByText("the page")).toBeInTheDocument();
    expect(screen.queryByTestId("client-scope-badge")).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
