//! Who is logged in. The token lives in auth-token.ts; the user record is server state in TanStack Query.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useSyncExternalStore } from "react";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { LoginResponse, User } from "@/api/types";
import { getToken, setToken, subscribeToken } from "./auth-token";

export const currentUserQueryKey = ["auth", "me"] as const;

export function useToken(): string | null {
  return useSyncExternalStore(subscribeToken, getToken, getToken);
}

export function useCurrentUser() {
  const token = useToken();
  return useQuery({
    queryKey: currentUserQueryKey,
    queryFn: () => unwrap(api.GET("/api/v1/auth/me")),
    enabled: token !== null,
    staleTime: 5 * 60_000,
  });
}

/** Whether the user may change things; readonly users see every page but no mutating control. */
export function canMutate(user: User | undefined): boolean {
  return user !== undefined && user.role !== "readonly";
}

export function useCanMutate(): boolean {
  return canMutate(useCurrentUser().data);
}

export function useAuthActions() {
  const queryClient = useQueryClient();

  const completeLogin = useCallback(
    (response: LoginResponse) => {
      queryClient.clear();
      queryClient.setQueryData(currentUserQueryKey, response.user);
      setToken(response.token);
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
    setToken(null);
    queryClient.clear();
  }, [queryClient]);

  return { completeLogin, logout };
}
