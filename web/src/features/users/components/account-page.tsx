//! The signed-in user's own account, for every role: changing the password, their second factor (an
//! authenticator app, security keys and passkeys), and the sessions signed in as them, each of which
//! they can sign out. While their organization requires a second factor they have not set up, this is
//! the one page they may use, and it says why; an app or a key satisfies it.
import { Link } from "@tanstack/react-router";
import { KeyRoundIcon, ShieldAlertIcon } from "lucide-react";
import { useId, useState } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { DataTable, type DataColumn } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { RelativeTime } from "@/components/relative-time";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useAuthActions, useCurrentUser } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { forgetSession } from "@/lib/session";
import { useChangePassword, useRevokeOtherSessions, useRevokeSession, useSessions, type Session } from "../api/account";
import { fieldProblemFromServer, hasProblems, MIN_PASSWORD_CHARS, newPasswordProblems } from "../password-form";
import { ROLE_LABELS } from "@/lib/roles";
import { shortenUserAgent } from "../user-agent";
import { PasswordInput } from "./password-input";
import { SecurityKeysCard } from "./security-keys-card";
import { TwoFactorCard } from "./two-factor-card";

export function AccountPage() {
  useDocumentTitle("Your account");
  const user = useCurrentUser().data;
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Your account"
        description={user ? `${user.email} · ${ROLE_LABELS[user.role]} at ${user.organization_name}` : undefined}
        actions={
          user?.second_factor_setup_required ? null : (
            <Button variant="outline" asChild>
              <Link to="/api-keys" data-testid="account-api-keys-link">
                <KeyRoundIcon /> API keys
              </Link>
            </Button>
          )
        }
      />
      {user?.second_factor_setup_required ? (
        <div
          role="alert"
          className="flex items-start gap-3 rounded-md border border-warning/50 bg-warning/10 px-4 py-3 text-sm"
          data-testid="second-factor-required-notice"
        >
          <ShieldAlertIcon className="mt-0.5 size-5 shrink-0 text-warning" aria-hidden />
          <div className="grid gap-1">
            <p className="font-medium">{user.organization_name} requires two-factor authentication</p>
            <p>
              Set up two-factor authentication below before you continue: until you do, the rest of the dashboard is closed to you. You need
              an authenticator app on your phone, or a security key or passkey.
            </p>
          </div>
        </div>
      ) : null}
      <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,24rem)_minmax(0,1fr)]">
        <div className="grid gap-4">
          <ChangePasswordCard />
          <TwoFactorCard />
          <SecurityKeysCard />
        </div>
        <SessionsCard />
      </div>
    </div>
  );
}

type PasswordField = "current" | "password" | "confirm";

function ChangePasswordCard() {
  const ids = useId();
  const email = useCurrentUser().data?.email;
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [problems, setProblems] = useState<Partial<Record<PasswordField, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const change = useChangePassword();
  const { completeLogin } = useAuthActions();

  const edit = (field: PasswordField, set: (value: string) => void) => (value: string) => {
    set(value);
    setProblems((shown) => ({ ...shown, [field]: undefined }));
  };

  const submit = async () => {
    setFailure(null);
    const found = { ...newPasswordProblems(password, confirm), ...(current === "" ? { current: "Enter your current password." } : {}) };
    setProblems(found);
    if (hasProblems(found) || !email) return;
    let signedIn, secondFactorRequired;
    try {
      ({ signedIn, secondFactorRequired } = await change.mutateAsync({ email, currentPassword: current, newPassword: password }));
    } catch (error) {
      const placed =
        error instanceof ApiError && error.status < 500
          ? fieldProblemFromServer<PasswordField>(error.message, { current_password: "current", new_password: "password" })
          : null;
      if (placed) setProblems({ [placed.field]: placed.message });
      else setFailure(errorMessage(error));
      return;
    }
    if (signedIn) {
      // The change ended every session, this one too; this is the new one.
      completeLogin(signedIn);
      setCurrent("");
      setPassword("");
      setConfirm("");
      toast.success("Password changed. Your other sessions were signed out.");
    } else {
      // The toast outlives the page: it is still shown on the sign-in page this leads to.
      toast.info(
        secondFactorRequired
          ? "Password changed. Sign in again with the new password and a code from your authenticator app."
          : "Password changed. Sign in again with the new password.",
        { duration: 15_000 },
      );
      forgetSession();
    }
  };

  return (
    <SectionCard
      title="Change password"
      description="Every session signed in as you ends, on every device; this page signs in again by itself."
      data-testid="change-password-card"
    >
      <form
        className="grid gap-3"
        noValidate
        aria-label="Change password"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <input type="email" name="username" autoComplete="username" value={email ?? ""} readOnly hidden />
        <PasswordInput
          id={`${ids}-current`}
          label="Current password"
          value={current}
          onChange={edit("current", setCurrent)}
          error={problems.current}
          autoComplete="current-password"
          testId="current-password"
        />
        <PasswordInput
          id={`${ids}-password`}
          label="New password"
          hint={`At least ${MIN_PASSWORD_CHARS} characters.`}
          value={password}
          onChange={edit("password", setPassword)}
          error={problems.password}
          autoComplete="new-password"
          testId="new-password"
        />
        <PasswordInput
          id={`${ids}-confirm`}
          label="Confirm the new password"
          value={confirm}
          onChange={edit("confirm", setConfirm)}
          error={problems.confirm}
          autoComplete="new-password"
          testId="confirm-password"
        />
        {failure ? (
          <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="change-password-failure">
            {failure}
          </p>
        ) : null}
        <div>
          <Button type="submit" disabled={change.isPending} data-testid="change-password-submit">
            {change.isPending ? "Changing…" : "Change password"}
          </Button>
        </div>
      </form>
    </SectionCard>
  );
}

function SessionsCard() {
  const sessions = useSessions();
  const revokeOthers = useRevokeOtherSessions();
  const items = sessions.data?.items;
  const others = items?.filter((session) => !session.current).length ?? 0;
  const list = { ...sessions, data: items ? { items, total: items.length, per_page: items.length } : undefined };
  return (
    <SectionCard
      title="Sessions"
      description="Browsers and API clients signed in as you, newest first."
      data-testid="sessions-card"
      actions={
        others > 0 ? (
          <ConfirmDialog
            trigger={
              <Button variant="outline" size="sm" data-testid="revoke-other-sessions">
                Sign out everywhere else
              </Button>
            }
            title="Sign out everywhere else?"
            description={`${others === 1 ? "Your other session ends" : `Your ${others} other sessions end`}; this one stays signed in.`}
            confirmLabel="Sign out"
            onConfirm={async () => {
              const { revoked } = await revokeOthers.mutateAsync();
              toast.success(revoked === 1 ? "1 other session signed out." : `${revoked} other sessions signed out.`);
            }}
          />
        ) : null
      }
    >
      <DataTable
        query={list}
        columns={SESSION_COLUMNS}
        rowKey={(session) => session.id}
        rowProps={(session) => ({ "data-testid": "session-row", "data-current": session.current })}
        testId="sessions-table"
        loadingClassName="h-24"
        empty={<p className="text-sm text-muted-foreground">No session.</p>}
      />
    </SectionCard>
  );
}

const SESSION_COLUMNS: DataColumn<Session>[] = [
  {
    header: "Browser",
    fill: true,
    className: "truncate",
    cellProps: (session) => ({ title: session.user_agent ?? undefined }),
    cell: (session) => (
      <span className="flex min-w-0 items-center gap-2">
        <span className="truncate">{shortenUserAgent(session.user_agent)}</span>
        {session.current ? (
          <Badge variant="success" data-testid="this-session">
            This session
          </Badge>
        ) : null}
      </span>
    ),
  },
  { header: "IP address", headerClassName: "w-36", className: "font-mono text-xs", cell: (session) => session.ip ?? "—" },
  {
    header: "Started",
    headerClassName: "w-32",
    className: "text-muted-foreground",
    cellProps: (session) => ({ title: `Expires ${formatDateTime(session.expires_at)}` }),
    cell: (session) => <RelativeTime value={session.created_at} />,
  },
  { header: "Sign out", headerClassName: "w-24", cell: (session) => (session.current ? null : <RevokeSession session={session} />) },
];

function RevokeSession({ session }: { session: Session }) {
  const revoke = useRevokeSession();
  return (
    <Button
      variant="ghost"
      size="sm"
      disabled={revoke.isPending}
      aria-label={`Sign out ${shortenUserAgent(session.user_agent)} from ${session.ip ?? "an unknown address"}`}
      data-testid="revoke-session"
      onClick={() =>
        revoke.mutate(session.id, {
          onSuccess: () => toast.success("Session signed out."),
          onError: (error) => toast.error(errorMessage(error)),
        })
      }
    >
      Sign out
    </Button>
  );
}
