//! Renders one page component inside the providers the app uses (query cache, router, tooltips),
//! with the query cache pre-filled so tests need no server.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryHistory, createRootRoute, createRoute, createRouter, Outlet, RouterProvider } from "@tanstack/react-router";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import type { Permission, User } from "@/api/types";
import { TooltipProvider } from "@/components/ui/tooltip";
import { currentUserQueryKey } from "@/lib/auth";

const TECHNICIAN: Permission[] = ["view_agents", "run_commands", "run_scripts", "manage_alerts", "manage_clients", "organize_agents"];
const EVERYTHING: Permission[] = [
  ...TECHNICIAN,
  "edit_scripts",
  "manage_policies",
  "manage_agents",
  "view_secrets",
  "manage_users",
  "view_audit",
  "manage_organization",
];

/** The built-in roles' permissions, as the server grants them (`crates/store/src/access.rs`). */
export const ROLE_PERMISSIONS: Record<User["role"], Permission[]> = {
  owner: EVERYTHING,
  admin: EVERYTHING,
  technician: TECHNICIAN,
  readonly: ["view_agents"],
  custom: [],
};

export function testUser(role: User["role"]): User {
  return {
    id: "u",
    email: "tech@example.com",
    role,
    custom_role: null,
    operator: false,
    permissions: ROLE_PERMISSIONS[role],
    organization_id: "o",
    organization_name: "Best MSP",
    last_sign_in_at: null,
    second_factor: false,
    second_factor_setup_required: false,
  };
}

export function renderPage(
  page: ReactNode,
  { role = "technician", seed = [] }: { role?: User["role"]; seed?: [readonly unknown[], unknown][] } = {},
) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false, refetchInterval: false } } });
  queryClient.setQueryData(currentUserQueryKey, testUser(role));
  for (const [key, data] of seed) queryClient.setQueryData(key, data);

  const rootRoute = createRootRoute({ component: Outlet });
  const pageRoute = createRoute({ getParentRoute: () => rootRoute, path: "/", component: () => page });
  // Links to other pages must resolve to something while the test runs.
  const otherRoute = createRoute({ getParentRoute: () => rootRoute, path: "$", component: () => null });
  const router = createRouter({
    routeTree: rootRoute.addChildren([pageRoute, otherRoute]),
    history: createMemoryHistory({ initialEntries: ["/"] }),
  });

  const result = render(
    <QueryClientProvider client={queryClient}>
      <TooltipProvider>
        <RouterProvider router={router as never} />
      </TooltipProvider>
    </QueryClientProvider>,
  );
  return { ...result, queryClient, router };
}
