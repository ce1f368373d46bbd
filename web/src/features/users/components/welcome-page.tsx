//! The public page a one-time link opens (`/welcome#token=…`): it says what the link is for (joining
//! an organization, or setting a new password), takes the new password twice and, once the server
//! accepts it, the holder is signed in. A used or expired link says so plainly. In an organization that
//! signs in only through single sign-on the server keeps the account (or the password) but opens no
//! session (401 `sso_required`): the page says the account is ready and how its holder signs in.
import { Link } from "@tanstack/react-router";
import { CircleCheckIcon, LinkIcon } from "lucide-react";
import { useId, useState, type ReactNode } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import { ErrorMessage } from "@/components/error-message";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useAuthActions } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { useAcceptLink, useLinkInfo, type LinkInfo } from "../api/links";
import { fieldProblemFromServer, hasProblems, MIN_PASSWORD_CHARS, newPasswordProblems, type NewPasswordProblems } from "../password-form";
import { ROLE_NOUNS } from "@/lib/roles";
import { PasswordInput } from "./password-input";

export function WelcomePage({ token, onSignedIn }: { token: string | null; onSignedIn: () => void }) {
  useDocumentTitle("Welcome");
  const info = useLinkInfo(token);
  // Accepting can also find the link used meanwhile (another tab, a second click).
  const [gone, setGone] = useState(false);
  const [throughProvider, setThroughProvider] = useState(false);

  let content: ReactNode;
  if (token === null) {
    content = (
      <Unusable title="This link is incomplete">
        The address has no token after <code className="font-mono">#token=</code>. Open the link exactly as you received it, or ask your
        administrator for a new link.
      </Unusable>
    );
  } else if (gone || (info.error instanceof ApiError && info.error.status === 404)) {
    content = (
      <Unusable title="This link no longer works">
        It was used already, it expired, or it was withdrawn: each link works once, for a limited time. Ask your administrator for a new
        link.
      </Unusable>
    );
  } else if (info.isError) {
    content = <ErrorMessage error={info.error} onRetry={() => void info.refetch()} />;
  } else if (info.isPending) {
    content = <Skeleton className="h-48" />;
  } else if (throughProvider) {
    content = <SignInThroughProvider info={info.data} />;
  } else {
    content = (
      <ChoosePassword
        token={token}
        info={info.data}
        onGone={() => setGone(true)}
        onSsoRequired={() => setThroughProvider(true)}
        onSignedIn={onSignedIn}
      />
    );
  }

  return (
    <div className="flex min-h-svh items-center justify-center bg-muted/40 p-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2">
          <img src="/favicon.svg" alt="" className="size-7" />
          <span className="text-xl font-semibold tracking-tight">GuruRMM</span>
        </div>
        <Card>
          <CardContent className="pt-5 pb-5">{content}</CardContent>
        </Card>
      </div>
    </div>
  );
}

function Unusable({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="grid gap-3" data-testid="link-unusable">
      <h1 className="flex items-center gap-2 text-base font-semibold">
        <LinkIcon className="size-4 text-muted-foreground" aria-hidden />
        {title}
      </h1>
      <p className="text-sm text-muted-foreground">{children}</p>
      <Link to="/login" className="text-sm text-primary hover:underline" data-testid="go-to-sign-in">
        Go to sign in
      </Link>
    </div>
  );
}

/** The link did its work, but the organization's users sign in through its identity provider. */
function SignInThroughProvider({ info }: { info: LinkInfo }) {
  const invitation = info.kind === "invitation";
  return (
    <div className="grid gap-3" role="status" data-testid="welcome-sso-required">
      <h1 className="flex items-center gap-2 text-base font-semibold">
        <CircleCheckIcon className="size-4 text-success" aria-hidden />
        {invitation ? "Your account is ready" : "Your password is set"}
      </h1>
      <p className="text-sm text-muted-foreground">
        {info.organization_name} signs in through single sign-on, not with a password: sign in as{" "}
        <strong className="font-medium text-foreground">{info.email}</strong> through your organization&apos;s identity provider, with the
        sign-in link your administrator gives you.
      </p>
      <Link to="/login" className="text-sm text-primary hover:underline" data-testid="go-to-sign-in">
        Go to sign in
      </Link>
    </div>
  );
}

/** How the invitation names the role: "as a technician", or a custom role by its name. */
function joiningAs(info: Pick<LinkInfo, "role" | "custom_role">): string {
  return info.role === "custom" && info.custom_role ? `with the role ${info.custom_role.name}` : `as ${ROLE_NOUNS[info.role]}`;
}

function ChoosePassword({
  token,
  info,
  onGone,
  onSsoRequired,
  onSignedIn,
}: {
  token: string;
  info: LinkInfo;
  onGone: () => void;
  /** The account is ready, but its organization signs in only through its identity provider. */
  onSsoRequired: () => void;
  onSignedIn: () => void;
}) {
  const ids = useId();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [problems, setProblems] = useState<NewPasswordProblems>({});
  const [failure, setFailure] = useState<string | null>(null);
  const accept = useAcceptLink();
  const { completeLogin } = useAuthActions();
  const invitation = info.kind === "invitation";

  const submit = async () => {
    setFailure(null);
    const found = newPasswordProblems(password, confirm);
    setProblems(found);
    if (hasProblems(found)) return;
    try {
      const response = await accept.mutateAsync({ token, password });
      completeLogin(response);
      onSignedIn();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return onGone();
      if (error instanceof ApiError && error.code === "sso_required") return onSsoRequired();
      const placed =
        error instanceof ApiError && error.status < 500 ? fieldProblemFromServer(error.message, { password: "password" }) : null;
      if (placed) setProblems({ password: placed.message });
      else setFailure(errorMessage(error));
    }
  };

  return (
    <form
      className="grid gap-4"
      noValidate
      aria-label={invitation ? "Join" : "Set a new password"}
      data-testid="welcome-form"
      data-kind={info.kind}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <div className="grid gap-1">
        <h1 className="text-base font-semibold" data-testid="welcome-title">
          {invitation ? `Join ${info.organization_name} ${joiningAs(info)}` : `Set a new password for ${info.email}`}
        </h1>
        <p className="text-sm text-muted-foreground">
          {invitation ? (
            <>
              You will sign in as <strong className="font-medium text-foreground">{info.email}</strong>. Choose your password.
            </>
          ) : (
            <>Your account at {info.organization_name}. Setting it signs out your other sessions.</>
          )}
        </p>
        <p className="text-xs text-muted-foreground">This link works once, until {formatDateTime(info.expires_at)}.</p>
      </div>
      {/* Lets a password manager file the new password under the right account. */}
      <input type="email" name="username" autoComplete="username" value={info.email} readOnly hidden />
      <PasswordInput
        id={`${ids}-password`}
        label="New password"
        hint={`At least ${MIN_PASSWORD_CHARS} characters.`}
        value={password}
        onChange={(value) => {
          setPassword(value);
          setProblems({});
        }}
        error={problems.password}
        autoComplete="new-password"
        autoFocus
        testId="welcome-password"
      />
      <PasswordInput
        id={`${ids}-confirm`}
        label="Confirm the password"
        value={confirm}
        onChange={(value) => {
          setConfirm(value);
          setProblems((current) => ({ ...current, confirm: undefined }));
        }}
        error={problems.confirm}
        autoComplete="new-password"
        testId="welcome-confirm"
      />
      {failure ? (
        <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="welcome-failure">
          {failure}
        </p>
      ) : null}
      <Button type="submit" disabled={accept.isPending} className="w-full" data-testid="welcome-submit">
        {accept.isPending ? "Signing in…" : invitation ? "Join and sign in" : "Set password and sign in"}
      </Button>
    </form>
  );
}
