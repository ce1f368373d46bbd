//! The signed-in user's second factor on their account page: whether it is on (an authenticator app,
//! or a security key from the card beside it); setting up the app (a QR code and the key for it, then
//! the app's code), which answers the recovery codes this once; and turning the app off with the
//! password. `second_factor` is on with a security key alone, so whether the app is set up is read
//! from the list of keys.
import { ShieldCheckIcon, TriangleAlertIcon } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { CopyButton } from "@/components/copy-button";
import { FormField } from "@/components/form-field";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useCurrentUser } from "@/lib/auth";
import { useSecurityKeys } from "../api/security-keys";
import { useConfirmTotp, useDisableTotp, useStartTotpSetup, type TotpSetup } from "../api/two-factor";
import { fieldProblemFromServer } from "../password-form";
import { usePasswordProof } from "../use-password-proof";
import { PasswordInput } from "./password-input";
import { QrCode } from "./qr-code";

export function TwoFactorCard() {
  const user = useCurrentUser().data;
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const keys = useSecurityKeys();
  const on = user?.second_factor ?? false;
  const hasKeys = (keys.data?.items.length ?? 0) > 0;
  // Undefined while unknown; should the list fail, `second_factor` is the app's as before keys existed.
  const appOn = !on ? false : keys.data ? keys.data.authenticator_app : keys.isError ? true : undefined;
  return (
    <SectionCard
      title={
        <>
          Two-factor authentication
          <Badge variant={on ? "success" : "muted"} data-testid="two-factor-status">
            {on ? "On" : "Off"}
          </Badge>
        </>
      }
      description="Signing in asks for a code from an authenticator app on your phone, or for one of your security keys, as well as your password."
      data-testid="two-factor-card"
    >
      {recoveryCodes ? (
        <RecoveryCodes codes={recoveryCodes} email={user?.email ?? ""} onDone={() => setRecoveryCodes(null)} />
      ) : setup ? (
        <ConfirmSetup
          setup={setup}
          onConfirmed={(codes) => {
            setSetup(null);
            setRecoveryCodes(codes);
          }}
          onCancel={() => setSetup(null)}
        />
      ) : appOn === undefined ? (
        <Skeleton className="h-9 w-full" />
      ) : appOn ? (
        <TurnOff email={user?.email ?? ""} hasKeys={hasKeys} />
      ) : (
        <StartSetup onStarted={setSetup} hasKeys={hasKeys} />
      )}
    </SectionCard>
  );
}

function Failure({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="two-factor-failure">
      {message}
    </p>
  ) : null;
}

function StartSetup({ onStarted, hasKeys }: { onStarted: (setup: TotpSetup) => void; hasKeys: boolean }) {
  const start = useStartTotpSetup();
  const [failure, setFailure] = useState<string | null>(null);
  const begin = async () => {
    setFailure(null);
    try {
      onStarted(await start.mutateAsync());
    } catch (error) {
      // Another tab turned it on meanwhile; the user is read again and the card shows it on.
      if (error instanceof ApiError && error.status === 409) toast.info("Two-factor authentication is on already.");
      else setFailure(errorMessage(error));
    }
  };
  return (
    <div className="grid gap-3">
      <p className="text-sm text-muted-foreground">
        {hasKeys ? "Your security keys guard sign-in. An authenticator app can too, for when you do not have a key with you: " : ""}
        Any authenticator app works: Google Authenticator, Microsoft Authenticator, 1Password, Bitwarden…
      </p>
      <Failure message={failure} />
      <div>
        <Button type="button" disabled={start.isPending} onClick={() => void begin()} data-testid="two-factor-start">
          <ShieldCheckIcon /> {start.isPending ? "Starting…" : hasKeys ? "Set up an authenticator app" : "Set up two-factor authentication"}
        </Button>
      </div>
    </div>
  );
}

/** The key in groups of four, as apps show it and people type it. */
function groupedKey(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

/** A code as typed, without the spaces and dashes people put in; null unless it is six digits. */
export function sixDigitCode(typed: string): string | null {
  const code = typed.replace(/[\s-]/g, "");
  return /^\d{6}$/.test(code) ? code : null;
}

function ConfirmSetup({
  setup,
  onConfirmed,
  onCancel,
}: {
  setup: TotpSetup;
  onConfirmed: (codes: string[]) => void;
  onCancel: () => void;
}) {
  const ids = useId();
  const confirm = useConfirmTotp();
  const [code, setCode] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const typed = sixDigitCode(code);
    if (!typed) {
      setProblem("Enter the 6-digit code your app shows.");
      return;
    }
    try {
      const { recovery_codes } = await confirm.mutateAsync(typed);
      toast.success("Two-factor authentication is on. Your other sessions were signed out.");
      onConfirmed(recovery_codes);
    } catch (error) {
      const placed = error instanceof ApiError && error.status === 422 ? fieldProblemFromServer(error.message, { code: "code" }) : null;
      if (placed) setProblem(placed.message);
      else setFailure(errorMessage(error));
    }
  };

  return (
    <form className="grid gap-3" noValidate aria-label="Turn on two-factor authentication" onSubmit={(event) => void submit(event)}>
      <p className="text-sm">1. Scan this QR code with your authenticator app.</p>
      <QrCode text={setup.otpauth_url} label="QR code for your authenticator app" className="size-44 rounded-md border" />
      <div className="grid gap-1">
        <p className="text-sm">Or type this key into the app:</p>
        <div className="flex items-start gap-2">
          <code className="min-w-0 flex-1 rounded-md bg-muted px-2 py-1.5 font-mono text-xs break-all" data-testid="totp-secret">
            {groupedKey(setup.secret)}
          </code>
          <CopyButton text={setup.secret} label="Copy key" />
        </div>
      </div>
      <FormField
        label="2. Enter the 6-digit code the app shows"
        htmlFor={`${ids}-code`}
        error={
          problem ? (
            <p className="text-xs text-destructive" id={`${ids}-code-error`} data-testid="totp-code-error">
              {problem}
            </p>
          ) : null
        }
      >
        <Input
          id={`${ids}-code`}
          inputMode="numeric"
          autoComplete="one-time-code"
          className="w-32 font-mono tracking-widest"
          value={code}
          onChange={(event) => {
            setCode(event.target.value);
            setProblem(null);
          }}
          data-testid="totp-code"
          {...(problem ? { "aria-invalid": true, "aria-describedby": `${ids}-code-error` } : {})}
        />
      </FormField>
      <Failure message={failure} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={confirm.isPending} data-testid="totp-confirm">
          {confirm.isPending ? "Turning on…" : "Turn on"}
        </Button>
        <Button type="button" variant="outline" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function recoveryCodesText(codes: string[], email: string): string {
  return [
    `GuruRMM recovery codes${email ? ` for ${email}` : ""}`,
    "Each code signs in once without the authenticator app.",
    "",
    ...codes,
    "",
  ].join("\n");
}

function download(text: string, filename: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

function RecoveryCodes({ codes, email, onDone }: { codes: string[]; email: string; onDone: () => void }) {
  const text = recoveryCodesText(codes, email);
  return (
    <div className="grid gap-3">
      <div
        className="flex items-start gap-2 rounded-md border border-warning/50 bg-warning/10 px-3 py-2 text-sm"
        data-testid="recovery-codes-note"
      >
        <TriangleAlertIcon className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
        <span>
          <strong className="font-medium">Save these recovery codes now:</strong> they are shown only this once. Each one signs you in once
          if you lose your phone. Keep them somewhere safe, apart from your password.
        </span>
      </div>
      <ol className="grid grid-cols-2 gap-1 rounded-md bg-muted p-2 font-mono text-xs" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code} data-testid="recovery-code">
            {code}
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap gap-2">
        <CopyButton text={text} label="Copy codes" />
        <Button type="button" variant="outline" size="sm" onClick={() => download(text, "gururmm-recovery-codes.txt")}>
          Download as text
        </Button>
        <Button type="button" size="sm" onClick={onDone} data-testid="recovery-codes-done">
          I have saved them
        </Button>
      </div>
    </div>
  );
}

function TurnOff({ email, hasKeys }: { email: string; hasKeys: boolean }) {
  const ids = useId();
  const disable = useDisableTotp();
  const [open, setOpen] = useState(false);
  // With keys, two-factor sign-in stays on: only the app goes.
  const what = hasKeys ? "Remove the app" : "Turn off";
  const { password, setPassword, problem, failure, reset, submit } = usePasswordProof(async (typed) => {
    await disable.mutateAsync(typed);
    toast.success(
      hasKeys
        ? "The authenticator app is off; your security keys still guard sign-in. Your other sessions were signed out."
        : "Two-factor authentication is off. Your other sessions were signed out.",
    );
    setOpen(false);
  });

  const close = () => {
    setOpen(false);
    reset();
  };

  return (
    <div className="grid gap-3">
      <p className="text-sm text-muted-foreground" data-testid="two-factor-app-on">
        Your authenticator app is set up. Lost your phone? Sign in with one of your recovery codes
        {hasKeys ? " or a security key" : ""}, or ask an administrator to reset your two-factor authentication.
      </p>
      {open ? (
        <form
          className="grid gap-3"
          noValidate
          aria-label={hasKeys ? "Remove the authenticator app" : "Turn off two-factor authentication"}
          onSubmit={(event) => void submit(event)}
        >
          <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
          <PasswordInput
            id={`${ids}-password`}
            label="Your password"
            hint={`${hasKeys ? "Removing the app" : "Turning it off"} signs out your other sessions.`}
            value={password}
            onChange={setPassword}
            error={problem ?? undefined}
            autoComplete="current-password"
            autoFocus
            testId="two-factor-password"
          />
          <Failure message={failure} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" variant="destructive" disabled={disable.isPending} data-testid="two-factor-disable">
              {disable.isPending ? (hasKeys ? "Removing…" : "Turning off…") : what}
            </Button>
            <Button type="button" variant="outline" onClick={close}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div>
          <Button
            type="button"
            variant="outline"
            onClick={() => {
              reset();
              setOpen(true);
            }}
            data-testid="two-factor-turn-off"
          >
            {what}…
          </Button>
        </div>
      )}
    </div>
  );
}
