//! Code-based routes. Search params are validated here so pages get typed, sanitized state.
import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, createRoute, createRouter, lazyRouteComponent, Link, Outlet, redirect } from "@tanstack/react-router";
import { parseAgentListSearch, parseAgentPageSearch } from "@/features/agents/agent-list-search";
import { parseAlertListSearch } from "@/features/alerts/alert-list-search";
import { parseFleetCheckListSearch } from "@/features/fleet-checks/fleet-check-list-search";
import { parseSoftwareSearch } from "@/features/inventory/software-search";
import { parseDiscoverySearch } from "@/features/discovery/discovery-search";
import { parseDeletedAgentListSearch } from "@/features/agents/deleted-agent-list-search";
import { parseCommandHistorySearch } from "@/features/commands/command-history-search";
import { parseJobListSearch, parseJobPageSearch } from "@/features/jobs/job-list-search";
import { parseScriptListSearch } from "@/features/scripts/script-list-search";
import { parseDeliveryListSearch } from "@/features/notifications/delivery-list-search";
import { parseAuditSearch } from "@/features/audit/audit-search";
import { RouteError } from "@/components/route-error";
import { getSession } from "@/lib/session";
import { parseListSearch } from "@/lib/search-params";
import { parseAgentTabSearch } from "./agent-tab";
import { AuthedLayout } from "./routes/authed-layout";
import { parseSignInSearch } from "./routes/signed-out";
import { safeRedirect } from "./safe-redirect";
import { AgentsRoute, ClientRoute, ClientsRoute, DeletedAgentsRoute, LoginRoute, SiteRoute } from "./routes/pages";
import { EnrollmentRequestsPage } from "@/features/enrollment-requests/components/enrollment-requests-page";

export interface RouterContext {
  queryClient: QueryClient;
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: () => (
    <div className="grid gap-2 p-8 text-center">
      <h1 className="text-lg font-semibold">Page not found</h1>
      <Link to="/" className="text-primary hover:underline">
        Go to the overview
      </Link>
    </div>
  ),
});

const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/login",
  validateSearch: parseSignInSearch,
  beforeLoad: ({ search }) => {
    if (getSession()) throw redirect({ href: search.redirect ?? "/" });
  },
  component: LoginRoute,
});

// Public like the login page: a one-time link (invitation, password reset) opens it without a session.
const welcomeRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/welcome",
  component: lazyRouteComponent(() => import("./routes/user-routes"), "WelcomeRoute"),
});

const authedRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "authed",
  beforeLoad: ({ location }) => {
    if (!getSession()) throw redirect({ to: "/login", search: { redirect: safeRedirect(location.href) } });
  },
  component: AuthedLayout,
});

const indexRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/",
  component: lazyRouteComponent(() => import("./routes/monitoring-routes"), "OverviewRoute"),
});

const alertsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/alerts",
  validateSearch: parseAlertListSearch,
  component: lazyRouteComponent(() => import("./routes/monitoring-routes"), "AlertsRoute"),
});

const fleetChecksRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/checks",
  validateSearch: parseFleetCheckListSearch,
  component: lazyRouteComponent(() => import("./routes/monitoring-routes"), "FleetChecksRoute"),
});

const softwareRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/software",
  validateSearch: parseSoftwareSearch,
  component: lazyRouteComponent(() => import("./routes/inventory-routes"), "SoftwareRoute"),
});

const agentsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/agents",
  validateSearch: parseAgentListSearch,
  component: AgentsRoute,
});

const agentRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/agents/$agentId",
  validateSearch: (raw: Record<string, unknown>) => ({
    ...parseAgentPageSearch(raw),
    ...parseCommandHistorySearch(raw),
    ...parseAgentTabSearch(raw),
  }),
  component: lazyRouteComponent(() => import("./routes/agent-route"), "AgentRoute"),
});

// A static segment, so it wins over /agents/$agentId.
const deletedAgentsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/agents/deleted",
  validateSearch: parseDeletedAgentListSearch,
  component: DeletedAgentsRoute,
});

const deletedAgentRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/deleted-agents/$agentId",
  validateSearch: parseCommandHistorySearch,
  component: lazyRouteComponent(() => import("./routes/deleted-agent-route"), "DeletedAgentRoute"),
});

const clientsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/clients",
  validateSearch: parseListSearch,
  component: ClientsRoute,
});

const clientRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/clients/$clientId",
  component: ClientRoute,
});

const siteRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/sites/$siteId",
  component: SiteRoute,
});

const siteDiscoveryRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/sites/$siteId/discovery",
  validateSearch: parseDiscoverySearch,
  component: lazyRouteComponent(() => import("./routes/discovery-routes"), "DiscoveryRoute"),
});

const scriptsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/scripts",
  validateSearch: parseScriptListSearch,
  component: lazyRouteComponent(() => import("./routes/script-routes"), "ScriptsRoute"),
});

const newScriptRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/scripts/new",
  component: lazyRouteComponent(() => import("./routes/script-routes"), "NewScriptRoute"),
});

const scriptRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/scripts/$scriptId",
  component: lazyRouteComponent(() => import("./routes/script-routes"), "ScriptRoute"),
});

const jobsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/jobs",
  validateSearch: parseJobListSearch,
  component: lazyRouteComponent(() => import("./routes/script-routes"), "JobsRoute"),
});

const jobRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/jobs/$jobId",
  validateSearch: parseJobPageSearch,
  component: lazyRouteComponent(() => import("./routes/script-routes"), "JobRoute"),
});

const policiesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/policies",
  component: lazyRouteComponent(() => import("./routes/monitoring-routes"), "PoliciesRoute"),
});

// A static segment, so it wins over /policies/$policyId.
const newPolicyRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/policies/new",
  component: lazyRouteComponent(() => import("./routes/monitoring-routes"), "NewPolicyRoute"),
});

const policyRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/policies/$policyId",
  component: lazyRouteComponent(() => import("./routes/monitoring-routes"), "PolicyRoute"),
});

const checkTemplatesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/check-templates",
  component: lazyRouteComponent(() => import("./routes/monitoring-routes"), "CheckTemplatesRoute"),
});

const notificationsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/notifications",
  component: lazyRouteComponent(() => import("./routes/notification-routes"), "ChannelsRoute"),
});

const deliveriesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/notifications/deliveries",
  validateSearch: parseDeliveryListSearch,
  component: lazyRouteComponent(() => import("./routes/notification-routes"), "DeliveriesRoute"),
});

const maintenanceRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/maintenance",
  component: lazyRouteComponent(() => import("./routes/notification-routes"), "MaintenanceRoute"),
});

const updatesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/updates",
  component: lazyRouteComponent(() => import("./routes/rollout-routes"), "UpdatesRoute"),
});

const customFieldsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/custom-fields",
  component: lazyRouteComponent(() => import("./routes/custom-field-routes"), "CustomFieldsRoute"),
});

const usersRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/users",
  component: lazyRouteComponent(() => import("./routes/user-routes"), "UsersRoute"),
});

const rolesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/roles",
  component: lazyRouteComponent(() => import("./routes/access-routes"), "RolesRoute"),
});

const accountRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/account",
  component: lazyRouteComponent(() => import("./routes/user-routes"), "AccountRoute"),
});

const apiKeysRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/api-keys",
  component: lazyRouteComponent(() => import("./routes/access-routes"), "ApiKeysRoute"),
});

const organizationRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/organization",
  component: lazyRouteComponent(() => import("./routes/access-routes"), "OrganizationRoute"),
});

const ssoRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/single-sign-on",
  component: lazyRouteComponent(() => import("./routes/access-routes"), "SsoRoute"),
});

// The operator's organizations; the page tells anyone else it is not for them.
const operatorRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/operator",
  component: lazyRouteComponent(() => import("./routes/access-routes"), "OperatorRoute"),
});

const auditRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/audit",
  validateSearch: parseAuditSearch,
  component: lazyRouteComponent(() => import("./routes/audit-routes"), "AuditRoute"),
});

const enrollmentRequestsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/enrollment-requests",
  component: EnrollmentRequestsPage,
});

const routeTree = rootRoute.addChildren([
  loginRoute,
  welcomeRoute,
  authedRoute.addChildren([
    indexRoute,
    alertsRoute,
    fleetChecksRoute,
    softwareRoute,
    agentsRoute,
    agentRoute,
    deletedAgentsRoute,
    deletedAgentRoute,
    clientsRoute,
    clientRoute,
    siteRoute,
    siteDiscoveryRoute,
    scriptsRoute,
    newScriptRoute,
    scriptRoute,
    jobsRoute,
    jobRoute,
    policiesRoute,
    newPolicyRoute,
    policyRoute,
    checkTemplatesRoute,
    notificationsRoute,
    deliveriesRoute,
    maintenanceRoute,
    updatesRoute,
    customFieldsRoute,
    usersRoute,
    rolesRoute,
    accountRoute,
    apiKeysRoute,
    organizationRoute,
    ssoRoute,
    operatorRoute,
    auditRoute,
    enrollmentRequestsRoute,
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: "intent",
    defaultErrorComponent: ({ error, reset }) => <RouteError error={error} reset={reset} />,
    defaultPreloadStaleTime: 0,
    scrollRestoration: true,
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
