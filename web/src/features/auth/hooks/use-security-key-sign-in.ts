//! Signing in with a security key, once the password was right: the server's challenge (the one the
//! page got already, then a fresh one per attempt, since each works once), the browser's prompt, and
//! the login with the key's answer. Failures become words for the page; a password that stopped
//! working, or keys that are gone, hand back to the page.
import { useRef, useState } from "react";
import { ApiError } from "@/api/errors";
import type { components } from "@/api/schema";
import type { LoginResponse } from "@/api/types";
import { getSecurityKeyAssertion, webauthnFailureMessage } from "@/lib/webauthn";
import { useLogin } from "../api/login";
import { fetchSecurityKeyChallenge, type PasswordCredentials, type WebauthnCeremony } from "../api/security-key";

type SecurityKeyPhase = "idle" | "waiting-for-key" | "signing-in";

/** The document types a WebAuthn credential as a free-form object. */
type CredentialObject = components["schemas"]["WebauthnAnswer"]["credential"];

const KEY_REFUSED = "Your security key’s answer was not accepted: use a key registered for this account, and try again.";

export function useSecurityKeySignIn({
  credentials,
  firstCeremony,
  onSignedIn,
  onNoKey,
  onPasswordRefused,
}: {
  credentials: PasswordCredentials;
  /** The challenge the page asked for when it chose this step; used by the first attempt only. */
  firstCeremony: WebauthnCeremony | null;
  onSignedIn: (response: LoginResponse) => void;
  /** The user has no key (any more): the page asks for a code. */
  onNoKey: () => void;
  /** The password no longer works (changed, or the account disabled): the page starts over. */
  onPasswordRefused: (message: string) => void;
}) {
  const login = useLogin();
  const [phase, setPhase] = useState<SecurityKeyPhase>("idle");
  const [problem, setProblem] = useState<string | null>(null);
  const unused = useRef(firstCeremony);
  const busy = useRef(false);

  const attempt = async () => {
    if (busy.current) return;
    busy.current = true;
    setProblem(null);
    setPhase("waiting-for-key");
    try {
      const ceremony = unused.current ?? (await fetchSecurityKeyChallenge(credentials));
      unused.current = null;
      if (!ceremony) {
        onNoKey();
        return;
      }
      const credential = await getSecurityKeyAssertion(ceremony.options);
      setPhase("signing-in");
      const response = await login.mutateAsync({
        ...credentials,
        webauthn: { challenge_id: ceremony.challenge_id, credential: credential as unknown as CredentialObject },
      });
      onSignedIn(response);
    } catch (error) {
      if (error instanceof ApiError && error.code === "unauthorized") onPasswordRefused(error.message);
      else if (error instanceof ApiError) setProblem(error.code === "second_factor_invalid" ? KEY_REFUSED : error.message);
      else setProblem(webauthnFailureMessage(error, "sign-in"));
    } finally {
      busy.current = false;
      setPhase("idle");
    }
  };

  return { phase, problem, attempt };
}
