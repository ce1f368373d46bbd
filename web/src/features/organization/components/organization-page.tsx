//! The organization's settings (`manage_organization`): renaming it, and requiring a second factor of
//! every user, with the users who have none yet. Without the permission the page says so.
import { Link } from "@tanstack/react-router";
import { Building2Icon, ShieldAlertIcon } from "lucide-react";
import { useId, useState } from "react";
import { toast } from "sonner";
import { ApiError, errorMessage } from "@/api/errors";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { FormField } from "@/components/form-field";
import { PageHeader } from "@/components/page-header";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { can, useCurrentUser } from "@/lib/auth";
import { useOrganization, useUpdateOrganization, type OrganizationSettings } from "../api/organization";

/** The server's longest organization name (`api::organization::MAX_NAME_CHARS`). */
const MAX_NAME_CHARS = 200;

export function OrganizationPage() {
  useDocumentTitle("Organization");
  const user = useCurrentUser().data;
  const allowed = can(user, "manage_organization");
  const settings = useOrganization(allowed);
  return (
    <div className="grid gap-4">
      <PageHeader title="Organization" description={allowed ? "Your organization's name and sign-in rules." : undefined} />
      {user === undefined ? null : !allowed ? (
        <EmptyState
          icon={Building2Icon}
          title="You don't have permission to change organization settings"
          data-testid="organization-not-allowed"
        >
          They need the manage organization permission, which your role does not grant; ask an owner or administrator. Your own password and
          two-factor authentication are on{" "}
          <Link to="/account" className="text-primary hover:underline">
            your account page
          </Link>
          .
        </EmptyState>
      ) : settings.isError ? (
        <ErrorMessage error={settings.error} onRetry={() => void settings.refetch()} />
      ) : !settings.data ? (
        <div className="grid gap-4 lg:grid-cols-2">
          <Skeleton className="h-40" />
          <Skeleton className="h-40" />
        </div>
      ) : (
        <div className="grid items-start gap-4 lg:grid-cols-2">
          {/* Keyed by the saved name, so a rename from elsewhere resets the field. */}
          <NameCard key={settings.data.name} settings={settings.data} />
          <SecondFactorCard settings={settings.data} ownSecondFactor={user.second_factor} />
        </div>
      )}
    </div>
  );
}

/** The server's "name: …" refusal, without the field's name, as a sentence. */
function nameProblemFromServer(message: string): string | null {
  const match = /^name: (.+)$/s.exec(message);
  if (!match) return null;
  const text = match[1] ?? "";
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function NameCard({ settings }: { settings: OrganizationSettings }) {
  const ids = useId();
  const [name, setName] = useState(settings.name);
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const update = useUpdateOrganization();
  const unchanged = name.trim() === settings.name;

  const submit = async () => {
    setFailure(null);
    const wanted = name.trim();
    if (wanted === "") return setProblem("Give the organization a name.");
    if (Array.from(wanted).length > MAX_NAME_CHARS) return setProblem(`Use at most ${MAX_NAME_CHARS} characters.`);
    try {
      const saved = await update.mutateAsync({ name: wanted });
      toast.success(`The organization is now named ${saved.name}.`);
    } catch (error) {
      const placed = error instanceof ApiError && error.status < 500 ? nameProblemFromServer(error.message) : null;
      if (placed) setProblem(placed);
      else setFailure(errorMessage(error));
    }
  };

  return (
    <SectionCard
      title="Name"
      description="Shown to every user of the organization, beside their email."
      data-testid="organization-name-card"
    >
      <form
        className="grid gap-3"
        noValidate
        aria-label="Rename the organization"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <FormField
          label="Organization name"
          htmlFor={`${ids}-name`}
          error={
            problem ? (
              <p className="text-xs text-destructive" id={`${ids}-name-error`} data-testid="organization-name-error">
                {problem}
              </p>
            ) : null
          }
        >
          <Input
            id={`${ids}-name`}
            autoComplete="organization"
            value={name}
            onChange={(event) => {
              setName(event.target.value);
              setProblem(null);
            }}
            data-testid="organization-name"
            {...(problem ? { "aria-invalid": true, "aria-describedby": `${ids}-name-error` } : {})}
          />
        </FormField>
        {failure ? (
          <p
            role="alert"
            className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive"
            data-testid="organization-name-failure"
          >
            {failure}
          </p>
        ) : null}
        <div>
          <Button type="submit" disabled={update.isPending || unchanged} data-testid="organization-name-submit">
            {update.isPending ? "Saving…" : "Rename"}
          </Button>
        </div>
      </form>
    </SectionCard>
  );
}

function SecondFactorCard({ settings, ownSecondFactor }: { settings: OrganizationSettings; ownSecondFactor: boolean }) {
  const ids = useId();
  const update = useUpdateOrganization();
  const [failure, setFailure] = useState<{ message: string; needsOwnSecondFactor: boolean } | null>(null);
  const without = settings.users_without_second_factor;

  const change = async (require: boolean) => {
    setFailure(null);
    try {
      await update.mutateAsync({ require_second_factor: require });
      toast.success(
        require
          ? "Every user must now sign in with a second factor; those without one can only set it up."
          : "A second factor is no longer required.",
      );
    } catch (error) {
      // 409: the caller has none of their own yet, which their account page sets up.
      setFailure({ message: errorMessage(error), needsOwnSecondFactor: error instanceof ApiError && error.status === 409 });
    }
  };

  return (
    <SectionCard
      title="Two-factor authentication"
      description="Whether every user must sign in with a code from an authenticator app as well as their password."
      data-testid="organization-second-factor-card"
    >
      <div className="grid gap-4">
        <div className="flex items-start gap-3 text-sm">
          <Switch
            id={`${ids}-require`}
            checked={settings.require_second_factor}
            disabled={update.isPending}
            onCheckedChange={(next) => void change(next)}
            aria-describedby={`${ids}-require-hint`}
            className="mt-0.5"
            data-testid="require-second-factor"
          />
          <div className="grid gap-0.5">
            <label htmlFor={`${ids}-require`} className="font-medium">
              Require a second factor for every user
            </label>
            <p id={`${ids}-require-hint`} className="text-xs text-muted-foreground">
              A user without one can do nothing but set it up on their account page, from their next request on. API keys keep working.
              {ownSecondFactor ? null : " You need a second factor of your own before you can turn this on."}
            </p>
          </div>
        </div>
        {failure ? (
          <div
            role="alert"
            className="grid gap-1 rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive"
            data-testid="second-factor-failure"
          >
            <span>{failure.message}</span>
            {failure.needsOwnSecondFactor ? (
              <Link to="/account" className="font-medium underline underline-offset-4" data-testid="set-up-own-second-factor">
                Set up two-factor authentication on your account page
              </Link>
            ) : null}
          </div>
        ) : null}
        <div className="grid gap-1.5">
          <h3 className="flex items-center gap-2 text-xs font-medium text-muted-foreground">
            Users without a second factor
            <Badge variant={without.length === 0 ? "success" : "warning"} data-testid="users-without-second-factor-count">
              {without.length}
            </Badge>
          </h3>
          {without.length === 0 ? (
            <p className="text-sm text-muted-foreground" data-testid="everyone-has-second-factor">
              Every active user signs in with a second factor.
            </p>
          ) : (
            <>
              {settings.require_second_factor ? (
                <p className="flex items-start gap-2 text-xs text-muted-foreground">
                  <ShieldAlertIcon className="mt-0.5 size-3.5 shrink-0 text-warning" aria-hidden />
                  They are asked to set one up the next time they use the dashboard, and can do nothing else until they do.
                </p>
              ) : null}
              <ul className="grid max-h-72 gap-1 overflow-y-auto rounded-md border p-2 text-sm" data-testid="users-without-second-factor">
                {without.map((email) => (
                  <li key={email} className="truncate" title={email}>
                    {email}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      </div>
    </SectionCard>
  );
}
