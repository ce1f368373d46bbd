//! Single sign-on (`manage_organization`): the redirect URI to register at an identity provider,
//! "single sign-on only", and the organization's providers with their sign-in links. Without the
//! permission the page says so.
import { Link } from "@tanstack/react-router";
import { FingerprintIcon, PlusIcon } from "lucide-react";
import { useClientNames } from "@/api/pick-queries";
import { CopyButton } from "@/components/copy-button";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { PageHeader } from "@/components/page-header";
import { SectionCard } from "@/components/section-card";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { can, useCurrentUser } from "@/lib/auth";
import { grantableRoles, type RoleChoice } from "@/lib/roles";
import { useSsoProviders, useSsoRoleChoices } from "../api/sso";
import { NOBODY } from "../sso-form";
import { ProviderDialog } from "./provider-dialog";
import { ProvidersTable, type AccessContext } from "./providers-table";
import { SsoOnlyCard } from "./sso-only-card";

const NO_NAMES: ReadonlyMap<string, string> = new Map();

/** What a new provider or rule gives to start with: the least powerful role offered, or nobody. */
function startingChoice(choices: readonly RoleChoice[]): string {
  return choices.find((choice) => choice.value === "readonly")?.value ?? [...choices].reverse()[0]?.value ?? NOBODY;
}

export function SsoPage() {
  useDocumentTitle("Single sign-on");
  const user = useCurrentUser().data;
  const allowed = can(user, "manage_organization");
  const providers = useSsoProviders(allowed);
  const roles = useSsoRoleChoices(allowed);
  const names = useClientNames(allowed).data ?? NO_NAMES;
  // Single sign-on never grants owner: an owner is made on the users page.
  const choices = grantableRoles(user, roles.data).filter((choice) => choice.role !== "owner");
  const access: AccessContext = { choices, roles: roles.data, names, defaultChoice: startingChoice(choices) };

  return (
    <div className="grid gap-4">
      <PageHeader
        title="Single sign-on"
        description={allowed ? "Sign in through your organization's identity provider (OpenID Connect)." : undefined}
        actions={
          allowed && providers.data ? (
            <ProviderDialog
              choices={choices}
              names={names}
              defaultChoice={access.defaultChoice}
              trigger={
                <Button data-testid="add-sso-provider">
                  <PlusIcon /> Add provider
                </Button>
              }
            />
          ) : null
        }
      />
      {user === undefined ? null : !allowed ? (
        <EmptyState icon={FingerprintIcon} title="You don't have permission to change single sign-on" data-testid="sso-not-allowed">
          It needs the manage organization permission, which your role does not grant; ask an owner or administrator. Your own password and
          two-factor authentication are on{" "}
          <Link to="/account" className="text-primary hover:underline">
            your account page
          </Link>
          .
        </EmptyState>
      ) : providers.isError ? (
        <ErrorMessage error={providers.error} onRetry={() => void providers.refetch()} />
      ) : !providers.data ? (
        <div className="grid gap-4 lg:grid-cols-2">
          <Skeleton className="h-32" />
          <Skeleton className="h-32" />
        </div>
      ) : (
        <>
          <div className="grid items-start gap-4 lg:grid-cols-2">
            <SectionCard
              title="Redirect URI"
              description="Register it at the identity provider, as the app's web redirect URI (Entra ID: Authentication → Web; Google: Authorized redirect URIs)."
              data-testid="sso-redirect-uri-card"
            >
              <div className="flex items-start gap-2">
                <code data-testid="sso-redirect-uri" className="min-w-0 flex-1 rounded-md bg-muted px-2 py-1.5 font-mono text-xs break-all">
                  {providers.data.redirect_uri}
                </code>
                <CopyButton text={providers.data.redirect_uri} label="Copy redirect URI" />
              </div>
            </SectionCard>
            <SsoOnlyCard ssoOnly={providers.data.sso_only} />
          </div>
          <ProvidersTable access={access} />
        </>
      )}
    </div>
  );
}
