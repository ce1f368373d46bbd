//! The signed-in user's own account: changing the password (which ends every session, so the page
//! signs in again with the new one) and the list of their sessions.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { ApiError, unwrap } from "@/api/errors";
import type { components } from "@/api/schema";
import type { LoginResponse } from "@/api/types";

type Schemas = components["schemas"];
export type Session = Schemas["Session"];
export type SessionList = Schemas["SessionList"];

export const accountKeys = {
  all: ["account"] as const,
  sessions: ["account", "sessions"] as const,
  securityKeys: ["account", "security-keys"] as const,
};

export function useSessions() {
  return useQuery({ queryKey: accountKeys.sessions, queryFn: () => unwrap(api.GET("/api/v1/auth/sessions")) });
}

function useSessionsChanged() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: accountKeys.sessions });
}

export function useRevokeSession() {
  const changed = useSessionsChanged();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/auth/sessions/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

export function useRevokeOtherSessions() {
  const changed = useSessionsChanged();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/sessions/revoke-others")),
    onSuccess: changed,
  });
}

export interface PasswordChangeRequest {
  email: string;
  currentPassword: string;
  newPassword: string;
}

/**
 * Changes the password, then signs in again with the new one: the server ends every session of the
 * user, this one included. `signedIn` is null when the change worked but signing in again did not
 * (the user then signs in by hand); `secondFactorRequired` says that was because signing in also
 * needs a code from their app, which only they can give. A refused change throws.
 */
export function useChangePassword() {
  return useMutation({
    mutationFn: async ({
      email,
      currentPassword,
      newPassword,
    }: PasswordChangeRequest): Promise<{ signedIn: LoginResponse | null; secondFactorRequired: boolean }> => {
      await unwrap(api.POST("/api/v1/auth/password", { body: { current_password: currentPassword, new_password: newPassword } }));
      try {
        const signedIn = await unwrap(api.POST("/api/v1/auth/login", { body: { email, password: newPassword, cookie: true } }));
        return { signedIn, secondFactorRequired: false };
      } catch (error) {
        return { signedIn: null, secondFactorRequired: error instanceof ApiError && error.code === "second_factor_required" };
      }
    },
  });
}
