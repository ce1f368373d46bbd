import { Outlet, useNavigate, useRouterState } from "@tanstack/react-router";
import { useEffect } from "react";
import { AppShell } from "@/components/layout/app-shell";
import { useAgentLiveUpdates } from "@/features/agents/hooks/use-agent-live-updates";
import { useToken } from "@/lib/auth";
import { LiveEventsProvider } from "@/lib/live-events";

function LiveCacheUpdates() {
  useAgentLiveUpdates();
  return null;
}

/** Everything behind login: the shell, the live events stream, and a redirect to /login on logout or 401. */
export function AuthedLayout() {
  const token = useToken();
  const navigate = useNavigate();
  const href = useRouterState({ select: (state) => state.location.href });

  useEffect(() => {
    if (token === null) void navigate({ to: "/login", search: { redirect: href }, replace: true });
  }, [token, navigate, href]);

  if (token === null) return null;
  return (
    <LiveEventsProvider token={token}>
      <LiveCacheUpdates />
      <AppShell>
        <Outlet />
      </AppShell>
    </LiveEventsProvider>
  );
}
