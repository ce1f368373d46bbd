//! A user limited to some clients may use only the pages whose operations honour the scope (see
//! `components/layout/scoped-pages.ts`); the server refuses everything else with 403 `client_scope`.
//! Any other page, opened by a link or its address, says so instead of showing refusals. A refusal
//! the dashboard did not expect (a scope set since the user was read) reads the user again.
import { useQueryClient } from "@tanstack/react-query";
import { Link, useRouterState } from "@tanstack/react-router";
import { BuildingIcon } from "lucide-react";
import { useEffect, type ReactNode } from "react";
import { onClientScopeRefused } from "@/api/client";
import { EmptyState } from "@/components/empty-state";
import { isPageAvailable } from "@/components/layout/scoped-pages";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { clientScope, currentUserQueryKey, useCurrentUser } from "@/lib/auth";

export function ClientScopeGuard({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const me = useCurrentUser();
  const pathname = useRouterState({ select: (state) => state.location.pathname });

  useEffect(() => onClientScopeRefused(() => void queryClient.invalidateQueries({ queryKey: currentUserQueryKey })), [queryClient]);

  // Until the user is known, no page: a scoped user's would only collect refusals.
  if (me.isPending) return null;
  if (!isPageAvailable(pathname, clientScope(me.data))) return <ScopeLimitedPage />;
  return children;
}

export function ScopeLimitedPage() {
  useDocumentTitle("Not available");
  return (
    <EmptyState icon={BuildingIcon} title="Not available with your access" data-testid="client-scope-refused">
      <p>Your access is limited to some clients; this page is not available to you.</p>
      <p className="mt-2 flex justify-center gap-4">
        <Link to="/clients" className="font-medium text-primary hover:underline">
          Your clients
        </Link>
        <Link to="/agents" className="font-medium text-primary hover:underline">
          Agents
        </Link>
      </p>
    </EmptyState>
  );
}
