//! The sign-in page. A user with a second factor signs in in two steps: the password first, and
//! when the server answers that a code is needed (`second_factor_required`), their security key
//! (`SecurityKeyStep`, when the server has a key challenge for them) or the code of their
//! authenticator app or one of their recovery codes, sent again with the email and password. Opened
//! because an operator's support session ended (`ended`), it says so above the form.
//!
//! Single sign-on: opened from a provider's sign-in link (`sso`), or in a browser that signed in through
//! one before, a "Sign in with <provider>" button stands above the password form. A sign-in the server
//! refused on the provider's return comes back here with its reason (`ssoError`), shown above the form;
//! a password refused because the organization signs in only through its provider says that.
import { useState, type FormEvent } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import type { LoginRequest } from "@/api/types";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Separator } from "@/components/ui/separator";
import { useAuthActions } from "@/lib/auth";
import { useLogin } from "../api/login";
import { useSignInProviderChoice } from "../hooks/use-sign-in-provider";
import { SsoSignInButton } from "./sso-sign-in-button";
import { useSecurityKeyChallenge, type PasswordCredentials, type WebauthnCeremony } from "../api/security-key";
import { SecurityKeyStep } from "./security-key-step";

type Step = "password" | "security-key" | "second-factor";
type SecondFactor = "totp" | "recovery_code";

/** An app's code as typed (spaces and dashes dropped), or null unless it is six digits. */
export function appCode(typed: string): string | null {
  const code = typed.replace(/[\s-]/g, "");
  return /^\d{6}$/.test(code) ? code : null;
}

const WRONG_CODE: Record<SecondFactor, string> = {
  totp: "That code is wrong, was used already, or has expired. Enter the code your app shows now.",
  recovery_code: "That recovery code is wrong or was used already.",
};

/** Why the session ended, when the sign-in page was opened because it did (its `ended` search param). */
export const SIGNED_OUT_REASONS = ["support"] as const;
export type SignedOutReason = (typeof SIGNED_OUT_REASONS)[number];

const ENDED_NOTICE: Record<SignedOutReason, string> = {
  support: "Your support access ended: its time was up. Sign in again to continue in your own organization.",
};

export function LoginPage({
  onLoggedIn,
  ended,
  ssoProviderId,
  ssoError,
  returnTo,
}: {
  onLoggedIn: () => void;
  ended?: SignedOutReason;
  /** The provider a sign-in link names (`/login?sso=<id>`). */
  ssoProviderId?: string;
  /** Why a sign-in through a provider was refused, as the server worded it. */
  ssoError?: string;
  /** The page to come back to afterwards, which a sign-in through a provider passes on too. */
  returnTo?: string;
}) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [step, setStep] = useState<Step>("password");
  const [method, setMethod] = useState<SecondFactor>("totp");
  const [code, setCode] = useState("");
  const [codeProblem, setCodeProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [ssoRequired, setSsoRequired] = useState(false);
  const [ssoFailure, setSsoFailure] = useState<string | null>(null);
  const { provider, linkGone } = useSignInProviderChoice(ssoProviderId);
  const [keyCeremony, setKeyCeremony] = useState<WebauthnCeremony | null>(null);
  const [hasSecurityKey, setHasSecurityKey] = useState(false);
  const login = useLogin();
  const keyChallenge = useSecurityKeyChallenge();
  useDocumentTitle("Sign in");
  const { completeLogin } = useAuthActions();

  const backToPassword = () => {
    setStep("password");
    setPassword("");
    setCode("");
    setCodeProblem(null);
    setFailure(null);
    setMethod("totp");
    setKeyCeremony(null);
    setHasSecurityKey(false);
  };

  /** Back to the key from the code form: with a fresh challenge, as the first may have been spent. */
  const showSecurityKey = () => {
    setKeyCeremony(null);
    setFailure(null);
    setStep("security-key");
  };

  /** A user with security keys is asked for one; one without (`no_security_key`) for the app's code. */
  const chooseSecondFactor = (credentials: PasswordCredentials) => {
    keyChallenge.mutate(credentials, {
      onSuccess: (ceremony) => {
        setKeyCeremony(ceremony);
        setHasSecurityKey(ceremony !== null);
        setStep(ceremony ? "security-key" : "second-factor");
      },
      // Without a key challenge the app's code may still do.
      onError: (error) => {
        setStep("second-factor");
        setFailure(errorMessage(error));
      },
    });
  };

  const send = (credentials: Omit<LoginRequest, "cookie">) => {
    setFailure(null);
    setSsoRequired(false);
    login.mutate(credentials, {
      onSuccess: (response) => {
        completeLogin(response);
        onLoggedIn();
      },
      onError: (error) => {
        const reason = error instanceof ApiError ? error.code : null;
        if (reason === "second_factor_required") {
          chooseSecondFactor(credentials);
          setCode("");
          setCodeProblem(null);
        } else if (reason === "sso_required") {
          setSsoRequired(true);
        } else if (reason === "second_factor_invalid") {
          setCodeProblem(WRONG_CODE[method]);
        } else if (step === "second-factor" && reason === "unauthorized") {
          // The password stopped working meanwhile (changed, or the account disabled): start over.
          backToPassword();
          setFailure(errorMessage(error));
        } else {
          setFailure(errorMessage(error));
        }
      },
    });
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const credentials = { email: email.trim(), password };
    if (step === "password") {
      send(credentials);
      return;
    }
    if (method === "totp") {
      const typed = appCode(code);
      if (!typed) {
        setCodeProblem("Enter the 6-digit code from your authenticator app.");
        return;
      }
      send({ ...credentials, totp: typed });
    } else {
      const typed = code.trim();
      if (!typed) {
        setCodeProblem("Enter one of your recovery codes.");
        return;
      }
      send({ ...credentials, recovery_code: typed });
    }
  };

  const switchMethod = () => {
    setMethod((current) => (current === "totp" ? "recovery_code" : "totp"));
    setCode("");
    setCodeProblem(null);
    setFailure(null);
  };

  return (
    <div className="flex min-h-svh items-center justify-center bg-muted/40 p-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2">
          <img src="/favicon.svg" alt="" className="size-7" />
          <span className="text-xl font-semibold tracking-tight">GuruRMM</span>
        </div>
        <Card>
          <CardContent className="pt-5 pb-5">
            <form onSubmit={submit} className="grid gap-4" aria-label="Sign in" noValidate={step === "second-factor"}>
              {step === "password" ? (
                <>
                  <h1 className="text-base font-semibold">Sign in to your dashboard</h1>
                  {ended ? (
                    <p role="status" data-testid="login-ended" className="rounded-md bg-warning/15 px-3 py-2 text-sm">
                      {ENDED_NOTICE[ended]}
                    </p>
                  ) : null}
                  {ssoError ? (
                    <p
                      role="alert"
                      data-testid="login-sso-error"
                      className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive"
                    >
                      Single sign-on did not sign you in: {ssoError}
                    </p>
                  ) : null}
                  {provider ? (
                    <>
                      <SsoSignInButton provider={provider} returnTo={returnTo} onFailure={setSsoFailure} />
                      {ssoFailure ? (
                        <p
                          role="alert"
                          data-testid="login-sso-failure"
                          className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive"
                        >
                          {ssoFailure}
                        </p>
                      ) : null}
                      <div className="flex items-center gap-3 text-xs text-muted-foreground" aria-hidden>
                        <Separator className="flex-1" />
                        or
                        <Separator className="flex-1" />
                      </div>
                    </>
                  ) : linkGone ? (
                    <p role="status" data-testid="login-sso-gone" className="text-sm text-muted-foreground">
                      This sign-in link no longer works: its identity provider was turned off or removed. Sign in with your password, or ask
                      your administrator for the current link.
                    </p>
                  ) : null}
                  <div className="grid gap-1.5">
                    <Label htmlFor="login-email">Email</Label>
                    <Input
                      id="login-email"
                      type="email"
                      autoComplete="username"
                      required
                      autoFocus
                      value={email}
                      onChange={(event) => setEmail(event.target.value)}
                    />
                  </div>
                  <div className="grid gap-1.5">
                    <Label htmlFor="login-password">Password</Label>
                    <Input
                      id="login-password"
                      type="password"
                      autoComplete="current-password"
                      required
                      value={password}
                      onChange={(event) => setPassword(event.target.value)}
                    />
                  </div>
                </>
              ) : step === "security-key" ? (
                <SecurityKeyStep
                  credentials={{ email: email.trim(), password }}
                  ceremony={keyCeremony}
                  onSignedIn={(response) => {
                    completeLogin(response);
                    onLoggedIn();
                  }}
                  onUseCode={() => setStep("second-factor")}
                  onBack={backToPassword}
                  onPasswordRefused={(message) => {
                    backToPassword();
                    setFailure(message);
                  }}
                />
              ) : (
                <SecondFactorFields
                  email={email.trim()}
                  method={method}
                  code={code}
                  problem={codeProblem}
                  onCodeChange={(value) => {
                    setCode(value);
                    setCodeProblem(null);
                  }}
                />
              )}
              {ssoRequired && step === "password" ? (
                <p role="alert" data-testid="login-sso-required" className="rounded-md bg-warning/15 px-3 py-2 text-sm">
                  Your organization signs in through single sign-on, not with a password.{" "}
                  {provider
                    ? `Use “Sign in with ${provider.name}” above.`
                    : "Open the sign-in link your administrator gave you, or ask them for it."}
                </p>
              ) : null}
              {failure ? (
                <p role="alert" data-testid="login-error" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
                  {failure}
                </p>
              ) : null}
              {step === "security-key" ? null : (
                <Button type="submit" disabled={login.isPending || keyChallenge.isPending} className="w-full">
                  {login.isPending || keyChallenge.isPending ? "Signing in…" : step === "password" ? "Sign in" : "Verify and sign in"}
                </Button>
              )}
              {step === "second-factor" ? (
                <div className="flex flex-wrap justify-between gap-2 text-sm">
                  <button type="button" className="text-primary hover:underline" onClick={switchMethod} data-testid="login-switch-method">
                    {method === "totp" ? "Use a recovery code instead" : "Use the app's code instead"}
                  </button>
                  {hasSecurityKey ? (
                    <button type="button" className="text-primary hover:underline" onClick={showSecurityKey}>
                      Use your security key instead
                    </button>
                  ) : null}
                  <button type="button" className="text-muted-foreground hover:underline" onClick={backToPassword}>
                    Back
                  </button>
                </div>
              ) : null}
            </form>
          </CardContent>
        </Card>
      </div>
    </div>
  );
}

function SecondFactorFields({
  email,
  method,
  code,
  problem,
  onCodeChange,
}: {
  email: string;
  method: SecondFactor;
  code: string;
  problem: string | null;
  onCodeChange: (value: string) => void;
}) {
  const id = method === "totp" ? "login-totp" : "login-recovery-code";
  return (
    <>
      <div className="grid gap-1">
        <h1 className="text-base font-semibold">Two-factor authentication</h1>
        <p className="text-sm text-muted-foreground" data-testid="login-second-factor">
          {method === "totp"
            ? `Enter the 6-digit code your authenticator app shows for ${email}.`
            : `Enter one of the recovery codes you saved for ${email}. Each one works once.`}
        </p>
      </div>
      {/* Password managers that keep the code with the login find the account here. */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <div className="grid gap-1.5">
        <Label htmlFor={id}>{method === "totp" ? "Authentication code" : "Recovery code"}</Label>
        <Input
          // A new element per method, so the browser does not offer one's autofill for the other.
          key={id}
          id={id}
          inputMode={method === "totp" ? "numeric" : "text"}
          autoComplete={method === "totp" ? "one-time-code" : "off"}
          maxLength={method === "totp" ? 7 : 64}
          autoFocus
          className="font-mono tracking-wider"
          value={code}
          onChange={(event) => onCodeChange(event.target.value)}
          data-testid={id}
          {...(problem ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {})}
        />
        {problem ? (
          <p className="text-xs text-destructive" id={`${id}-error`} data-testid="login-code-error">
            {problem}
          </p>
        ) : null}
      </div>
    </>
  );
}
