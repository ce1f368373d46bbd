//! The sign-in page's security key step, for a user whose password was right and who has keys: it
//! asks the key at once (the browser shows its prompt), and offers to ask again, to use the code of an
//! authenticator app instead, or to go back. A page that cannot use keys (an IP address, no https)
//! says why, with the address that works when there is one.
import { KeyRoundIcon } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import type { LoginResponse } from "@/api/types";
import { Button } from "@/components/ui/button";
import { webauthnUnavailableReason } from "@/lib/webauthn";
import type { PasswordCredentials, WebauthnCeremony } from "../api/security-key";
import { useSecurityKeySignIn } from "../hooks/use-security-key-sign-in";

export function SecurityKeyStep({
  credentials,
  ceremony,
  onSignedIn,
  onUseCode,
  onBack,
  onPasswordRefused,
}: {
  credentials: PasswordCredentials;
  /** The challenge the page got when it chose this step (null: the step asks for one). */
  ceremony: WebauthnCeremony | null;
  onSignedIn: (response: LoginResponse) => void;
  /** To the authenticator app's code (also when the keys turn out to be gone). */
  onUseCode: () => void;
  onBack: () => void;
  onPasswordRefused: (message: string) => void;
}) {
  const [unavailable] = useState(() => webauthnUnavailableReason());
  const { phase, problem, attempt } = useSecurityKeySignIn({
    credentials,
    firstCeremony: ceremony,
    onSignedIn,
    onNoKey: onUseCode,
    onPasswordRefused,
  });
  // The key is asked once by itself when the step opens: the person has just pressed "Sign in" (or
  // chosen their key), and the browser's prompt is what they wait for. Asking again is theirs.
  const asked = useRef(false);
  useEffect(() => {
    if (asked.current || unavailable) return;
    asked.current = true;
    void attempt();
  });

  const busy = phase !== "idle";
  return (
    <div className="grid gap-4" data-testid="login-security-key-step">
      <div className="grid gap-1">
        <h1 className="text-base font-semibold">Use your security key</h1>
        <p className="text-sm text-muted-foreground" data-testid="login-security-key">
          Sign in as {credentials.email} with your security key or passkey: touch the key, or confirm with your fingerprint, face or PIN
          when your browser asks.
        </p>
      </div>
      {unavailable ? (
        <p role="alert" className="rounded-md bg-warning/15 px-3 py-2 text-sm" data-testid="login-security-key-unavailable">
          {unavailable}
        </p>
      ) : null}
      {busy ? (
        <p role="status" className="text-sm text-muted-foreground" data-testid="login-security-key-waiting">
          {phase === "waiting-for-key" ? "Waiting for your security key…" : "Signing in…"}
        </p>
      ) : null}
      {problem ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="login-security-key-error">
          {problem}
        </p>
      ) : null}
      <Button type="button" className="w-full" disabled={busy || unavailable !== null} onClick={() => void attempt()}>
        <KeyRoundIcon /> {busy ? "Waiting for your key…" : problem ? "Try your security key again" : "Use your security key"}
      </Button>
      <div className="flex flex-wrap justify-between gap-2 text-sm">
        <button type="button" className="text-primary hover:underline" onClick={onUseCode} data-testid="login-use-code">
          Use a code from your authenticator app instead
        </button>
        <button type="button" className="text-muted-foreground hover:underline" onClick={onBack}>
          Back
        </button>
      </div>
    </div>
  );
}
