//! The sign-in challenge for a user's security keys: asked with the email and password (checked and
//! throttled as at sign-in) once the login said a second factor is needed. `null` means the user has
//! no key (409 `no_security_key`), so the page asks for their app's code instead.
import { useMutation } from "@tanstack/react-query";
import { api } from "@/api/client";
import { ApiError, unwrap } from "@/api/errors";
import type { components } from "@/api/schema";

export type WebauthnCeremony = components["schemas"]["WebauthnCeremony"];

export interface PasswordCredentials {
  email: string;
  password: string;
}

export async function fetchSecurityKeyChallenge(credentials: PasswordCredentials): Promise<WebauthnCeremony | null> {
  try {
    return await unwrap(api.POST("/api/v1/auth/webauthn/challenge", { body: credentials }));
  } catch (error) {
    if (error instanceof ApiError && error.code === "no_security_key") return null;
    throw error;
  }
}

export function useSecurityKeyChallenge() {
  return useMutation({ mutationFn: fetchSecurityKeyChallenge });
}
