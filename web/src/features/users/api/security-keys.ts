//! The signed-in user's own security keys and passkeys (WebAuthn): the list (with whether they have an
//! authenticator app besides, which `second_factor` alone does not say), adding one (the server starts
//! the ceremony, the browser asks the key, the server checks its answer) and removing one with the
//! password. Adding or removing a key ends the user's other sessions and may change their
//! `second_factor`, so the user, the sessions and the keys are read again.
import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";
import { createSecurityKeyCredential } from "@/lib/webauthn";
import { accountKeys } from "./account";
import { useSecondFactorChanged } from "./two-factor";

export type SecurityKey = components["schemas"]["SecurityKeyView"];
export type SecurityKeyList = components["schemas"]["SecurityKeyList"];
/** The document types a WebAuthn credential as a free-form object. */
type CredentialObject = components["schemas"]["SecurityKeyFinish"]["credential"];

export function useSecurityKeys() {
  return useQuery({
    queryKey: accountKeys.securityKeys,
    queryFn: () => unwrap(api.GET("/api/v1/auth/webauthn/credentials")),
  });
}

/**
 * Adds a key named `name`: the browser's part may throw a DOMException (`NotAllowedError` when the
 * person cancels) or `WebauthnUnavailableError`; the server's refusals are `ApiError`s.
 */
export function useAddSecurityKey() {
  const changed = useSecondFactorChanged();
  return useMutation({
    mutationFn: async (name: string) => {
      const started = await unwrap(api.POST("/api/v1/auth/webauthn/register/start", { body: { name } }));
      const credential = await createSecurityKeyCredential(started.options);
      return unwrap(
        api.POST("/api/v1/auth/webauthn/register/finish", {
          body: { challenge_id: started.challenge_id, credential: credential as unknown as CredentialObject },
        }),
      );
    },
    onSuccess: () => void changed(),
  });
}

export function useRemoveSecurityKey() {
  const changed = useSecondFactorChanged();
  return useMutation({
    mutationFn: ({ id, password }: { id: string; password: string }) =>
      unwrap(api.DELETE("/api/v1/auth/webauthn/credentials/{id}", { params: { path: { id } }, body: { password } })),
    onSuccess: () => void changed(),
  });
}
