import { useQueryClient } from "@tanstack/react-query";
import { Outlet, useNavigate, useRouter } from "@tanstack/react-router";
import { useEffect } from "react";
import { AppShell } from "@/components/layout/app-shell";
import { useAgentLiveUpdates } from "@/features/agents/hooks/use-agent-live-updates";
import { UnresolvedAlertsBadge } from "@/features/alerts/components/unresolved-alerts-badge";
import { useAlertLiveUpdates } from "@/features/alerts/hooks/use-alert-live-updates";
import { useCheckLiveUpdates } from "@/features/checks/hooks/use-check-live-updates";
import { useCommandLiveUpdates } from "@/features/commands/hooks/use-command-live-updates";
import { useEnrollmentRequestLiveUpdates } from "@/features/enrollment-requests/hooks/use-enrollment-request-live-updates";
import { useFleetCheckLiveUpdates } from "@/features/fleet-checks/hooks/use-fleet-check-live-updates";
import { useJobLiveUpdates } from "@/features/jobs/hooks/use-job-live-updates";
import { useOverviewLiveUpdates } from "@/features/overview/hooks/use-overview-live-updates";
import { GlobalSearch } from "@/features/search/components/global-search";
import { ClientScopeBadge } from "@/features/clients/components/client-scope-badge";
import type { User } from "@/api/types";
import { currentUserQueryKey, useCurrentUser, useSession } from "@/lib/auth";
import { LiveEventsProvider } from "@/lib/live-events";
import { ClientScopeGuard } from "./client-scope-guard";
import { SecondFactorSetupRedirect } from "./second-factor-setup-redirect";
import { signInSearch } from "./signed-out";

function LiveCacheUpdates() {
  useAgentLiveUpdates();
  useCommandLiveUpdates();
  useJobLiveUpdates();
  useEnrollmentRequestLiveUpdates();
  useOverviewLiveUpdates();
  useAlertLiveUpdates();
  useCheckLiveUpdates();
  useFleetCheckLiveUpdates();
  return null;
}

/**
 * Everything behind login: the shell, the live events stream, a redirect to /login on logout or 401
 * (saying so when it was an operator's support session that ended), and to /account while the
 * organization requires a second factor the user has not set up. A user limited to some clients gets
 * the search and the alerts count too (both answer only their clients), and only the pages that work
 * for them.
 */
export function AuthedLayout() {
  const session = useSession();
  const navigate = useNavigate();
  const router = useRouter();
  const queryClient = useQueryClient();
  // The search and the alerts count once the user is known.
  const known = useCurrentUser().data !== undefined;

  useEffect(() => {
    if (session !== null) return;
    // Read the location once, without subscribing: following it would chase our own redirect.
    const { pathname, href } = router.state.location;
    if (pathname === "/login") return;
    // The user the session was (a 401 leaves it cached; signing out clears it first).
    const previous = queryClient.getQueryData<User>(currentUserQueryKey);
    void navigate({ to: "/login", search: signInSearch(previous, href), replace: true });
  }, [session, navigate, router, queryClient]);

  if (session === null) return null;
  return (
    <LiveEventsProvider session={session}>
      <LiveCacheUpdates />
      <SecondFactorSetupRedirect />
      <AppShell
        navBadges={known ? { "/alerts": <UnresolvedAlertsBadge /> } : {}}
        search={known ? <GlobalSearch /> : null}
        accessNote={<ClientScopeBadge />}
      >
        <ClientScopeGuard>
          <Outlet />
        </ClientScopeGuard>
      </AppShell>
    </LiveEventsProvider>
  );
}
