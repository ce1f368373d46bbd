//! Who is logged in. The session is a cookie (see session.ts); the user record is server state in TanStack Query.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useSyncExternalStore } from "react";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { LoginResponse, Permission, User } from "@/api/types";
import type { components } from "@/api/schema";
import { forgetSession, getSession, sessionChanged, subscribeSession } from "./session";

export const currentUserQueryKey = ["auth", "me"] as const;

/** The session's CSRF token while signed in, else null. */
export function useSession(): string | null {
  return useSyncExternalStore(subscribeSession, getSession, getSession);
}

export function useCurrentUser() {
  const session = useSession();
  return useQuery({
    queryKey: currentUserQueryKey,
    queryFn: () => unwrap(api.GET("/api/v1/auth/me")),
    enabled: session !== null,
    staleTime: 5 * 60_000,
  });
}

/**
 * The permissions a client-scoped user can use at all: the operations open to them
 * (`SCOPED_ROUTES` of `crates/server/src/auth/client_scope.rs`: reading agents, clients, sites,
 * alerts and checks, running commands, acknowledging, snoozing and resolving alerts, running an
 * agent's checks, reading the script library and running scripts on their own agents, their own
 * jobs, renaming, moving, deleting and enrolling their own agents (enrollment keys of their sites),
 * custom field values and maintenance windows of their clients, sites and agents) need no other.
 * The server refuses every other operation with 403 `client_scope` (editing the script library,
 * creating clients and sites, defining custom fields among them), whatever their role, so the
 * dashboard offers none of its controls. Each still needs the user's role to grant it. Where a
 * permission also guards a control that stays closed (a site's "regenerate" key and the approvals
 * under manage_agents, saved views under organize_agents), the page hides that control for them.
 */
export const SCOPED_USER_PERMISSIONS: readonly Permission[] = [
  "view_agents",
  "run_commands",
  "run_scripts",
  "view_secrets",
  "manage_alerts",
  "organize_agents",
  "manage_agents",
];

/** The clients the user is limited to, or null for the whole organization (and while loading). */
export function clientScope(user: User | undefined): string[] | null {
  return user?.client_ids ?? null;
}

/** The signed-in user's client scope: null for the whole organization (and while loading). */
export function useClientScope(): string[] | null {
  return clientScope(useCurrentUser().data);
}

/** Whether the user's role grants the permission. The dashboard shows only the controls a user's
 * permissions allow (the server refuses the rest anyway); while the user is loading, none. A user
 * limited to some clients holds only those of their permissions the scope leaves usable. */
export function can(user: User | undefined, permission: Permission): boolean {
  if (!(user?.permissions.includes(permission) ?? false)) return false;
  return clientScope(user) === null || SCOPED_USER_PERMISSIONS.includes(permission);
}

export function useCan(permission: Permission): boolean {
  return can(useCurrentUser().data, permission);
}

export function useAuthActions() {
  const queryClient = useQueryClient();

  const completeLogin = useCallback(
    (response: LoginResponse) => {
      queryClient.clear();
      queryClient.setQueryData(currentUserQueryKey, response.user);
      // The server set the session cookies with this answer.
      sessionChanged();
    },
    [queryClient],
  );

  const logout = useCallback(async () => {
    // Revoke the token on the server, but never keep the user logged in because that call failed.
    try {
      await api.POST("/api/v1/auth/logout");
    } catch {
      // Offline: the local token is dropped anyway.
    }
    forgetSession();
    queryClient.clear();
  }, [queryClient]);

  return { completeLogin, logout };
}

/** An operator's support session in an organization not their own. */
export type SupportSession = components["schemas"]["SupportView"];

/** The support session the user is in, or null (a usual session, and while loading). */
export function supportSession(user: User | undefined): SupportSession | null {
  return user?.support ?? null;
}

/** Milliseconds until the support session ends by itself (0 once it has), or null outside one. */
export function supportRemainingMs(user: User | undefined, now: number = Date.now()): number | null {
  const support = supportSession(user);
  if (!support) return null;
  const ends = Date.parse(support.expires_at);
  return Number.isNaN(ends) ? null : Math.max(0, ends - now);
}

/**
 * Ends the support session: the server opens a session in the operator's own organization again,
 * answered like a sign-in (new session cookies), which completes it here as one.
 */
export function useEndSupport() {
  const { completeLogin } = useAuthActions();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/support/end", { body: { cookie: true } })),
    onSuccess: completeLogin,
  });
}
