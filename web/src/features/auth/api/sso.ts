//! Signing in through the organization's identity provider: the provider a sign-in link names (to
//! label its button; an unknown or disabled one is a 404), and starting the sign-in, which answers
//! where to send the browser and keeps the sign-in's state in a cookie. No session is needed.
import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { ApiError, unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];
/** A provider as the sign-in page shows it: its id and the name on its button. */
export type SignInProvider = Schemas["SsoProviderButton"];
export type SsoStartRequest = Schemas["SsoStartRequest"];

// Only the sign-in page reads these, so the root stays here rather than in @/api/query-keys.
export const ssoSignInKeys = {
  provider: (id: string) => ["sso-sign-in", "provider", id] as const,
};

export function useSignInProvider(id: string | null) {
  return useQuery({
    queryKey: ssoSignInKeys.provider(id ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/auth/sso/providers/{id}", { params: { path: { id: id ?? "" } } })),
    enabled: id !== null,
    staleTime: 60_000,
    // A 404 is an answer (the provider is gone or disabled), not a failure worth asking again.
    retry: (failures, error) => !(error instanceof ApiError && error.status > 0 && error.status < 500) && failures < 2,
  });
}

export function useStartSso() {
  return useMutation({
    mutationFn: (body: SsoStartRequest) => unwrap(api.POST("/api/v1/auth/sso/start", { body })),
  });
}
