//! Thin route components: read params and search from the router, compose features, navigate.
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { RadarIcon } from "lucide-react";
import { AgentsPage } from "@/features/agents/components/agents-page";
import { DeletedAgentsPage } from "@/features/agents/components/deleted-agents-page";
import { ScopedAgentsSection } from "@/features/agents/components/scoped-agents-section";
import { LoginPage } from "@/features/auth/components/login-page";
import { ClientHeader, ClientPageContent } from "@/features/clients/components/client-header";
import { ScopePolicyCard } from "@/features/policies/components/policy-assignments";
import { TargetMaintenanceBanner } from "@/features/maintenance/components/maintenance-banner";
import { PendingEnrollmentsNotice } from "@/features/enrollment-requests/components/pending-enrollments-notice";
import { ClientsPage } from "@/features/clients/components/clients-page";
import { CustomFieldsCard } from "@/features/custom-fields/components/custom-fields-card";
import { ClientVaultCard } from "@/features/vault/components/client-vault-card";
import { ClientSitesSection } from "@/features/sites/components/client-sites-section";
import { EnrollmentKeySection } from "@/features/sites/components/enrollment-key-section";
import { EnrollmentKeysCard } from "@/features/sites/components/enrollment-keys-card";
import { SiteHeader } from "@/features/sites/components/site-header";
import { RunScriptOnTargetButton } from "@/features/scripts/components/run-script-on-target";
import { RunCommandOnTargetButton } from "@/features/commands/components/run-command-on-target";
import { Button } from "@/components/ui/button";
import { useClientScope } from "@/lib/auth";

const loginApi = getRouteApi("/login");
const agentsApi = getRouteApi("/authed/agents");
const deletedAgentsApi = getRouteApi("/authed/agents/deleted");
const clientsApi = getRouteApi("/authed/clients");
const clientApi = getRouteApi("/authed/clients/$clientId");
const siteApi = getRouteApi("/authed/sites/$siteId");

export function LoginRoute() {
  const { redirect, ended, sso, sso_error } = loginApi.useSearch();
  const navigate = useNavigate();
  return (
    <LoginPage
      ended={ended}
      ssoProviderId={sso}
      ssoError={sso_error}
      returnTo={redirect}
      onLoggedIn={() => void navigate({ href: redirect ?? "/", replace: true })}
    />
  );
}

/**
 * A user limited to some clients gets only what honours their scope (`components/layout/scoped-pages.ts`):
 * the routes leave out the parts of a page other features add that call anything else (enrollment
 * requests, policies, and a site's "regenerate" key, which revokes every key of the site).
 */
function useScoped(): boolean {
  return useClientScope() !== null;
}

export function AgentsRoute() {
  const search = agentsApi.useSearch();
  const navigate = agentsApi.useNavigate();
  const scoped = useScoped();
  return (
    <div className="grid gap-4">
      {scoped ? null : <PendingEnrollmentsNotice />}
      <AgentsPage
        search={search}
        onSearchChange={(next) => void navigate({ search: next })}
        selectionActions={(ids, names) => (
          <>
            <RunCommandOnTargetButton
              agentIds={ids}
              targetLabel={ids.length === 1 ? (names[ids[0] ?? ""] ?? "1 agent") : `${ids.length} agents`}
              onJobStarted={(job) => void navigate({ to: "/jobs/$jobId", params: { jobId: job.id } })}
            />
            <RunScriptOnTargetButton
              target={{ kind: "agents", agentIds: ids }}
              targetLabel={ids.length === 1 ? (names[ids[0] ?? ""] ?? "1 agent") : `${ids.length} agents`}
              agentNames={names}
              onJobStarted={(job) => void navigate({ to: "/jobs/$jobId", params: { jobId: job.id } })}
            />
          </>
        )}
      />
    </div>
  );
}

export function DeletedAgentsRoute() {
  const search = deletedAgentsApi.useSearch();
  const navigate = deletedAgentsApi.useNavigate();
  return <DeletedAgentsPage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}

export function ClientsRoute() {
  const search = clientsApi.useSearch();
  const navigate = useNavigate();
  return (
    <ClientsPage
      search={search}
      onSearchChange={(next) => void navigate({ to: "/clients", search: next })}
      onClientCreated={(client) => void navigate({ to: "/clients/$clientId", params: { clientId: client.id } })}
    />
  );
}

export function ClientRoute() {
  const { clientId } = clientApi.useParams();
  const navigate = useNavigate();
  const scoped = useScoped();
  return (
    <ClientPageContent clientId={clientId}>
      <div className="grid gap-4">
        <ClientHeader
          clientId={clientId}
          onDeleted={() => void navigate({ to: "/clients" })}
          actions={(client) => (
            <RunScriptOnTargetButton
              target={{ kind: "client", clientId: client.id }}
              targetLabel={`client ${client.name}`}
              onJobStarted={(job) => void navigate({ to: "/jobs/$jobId", params: { jobId: job.id } })}
            />
          )}
        />
        <TargetMaintenanceBanner scope="client" targetId={clientId} />
        <ClientSitesSection
          clientId={clientId}
          onSiteCreated={(site) => void navigate({ to: "/sites/$siteId", params: { siteId: site.id } })}
        />
        <ClientVaultCard key={`vault-${clientId}`} clientId={clientId} />
        <CustomFieldsCard key={`fields-${clientId}`} scope="client" targetId={clientId} />
        {scoped ? null : <ScopePolicyCard key={`policy-${clientId}`} scope="client" targetId={clientId} />}
        <ScopedAgentsSection scope={{ client_id: clientId }} />
      </div>
    </ClientPageContent>
  );
}

export function SiteRoute() {
  const { siteId } = siteApi.useParams();
  const navigate = useNavigate();
  const scoped = useScoped();
  return (
    <div className="grid gap-4">
      <SiteHeader
        siteId={siteId}
        onDeleted={(clientId) => void navigate({ to: "/clients/$clientId", params: { clientId } })}
        actions={(site) => (
          <>
            <Button variant="outline" size="sm" asChild>
              <Link to="/sites/$siteId/discovery" params={{ siteId: site.id }} data-testid="site-discovery-link">
                <RadarIcon /> Network discovery
              </Link>
            </Button>
            <RunScriptOnTargetButton
              target={{ kind: "site", clientId: site.client_id, siteId: site.id }}
              targetLabel={`site ${site.name}`}
              onJobStarted={(job) => void navigate({ to: "/jobs/$jobId", params: { jobId: job.id } })}
            />
          </>
        )}
      />
      <TargetMaintenanceBanner scope="site" targetId={siteId} />
      <EnrollmentKeysCard key={`keys-${siteId}`} siteId={siteId} />
      {scoped ? null : <EnrollmentKeySection key={siteId} siteId={siteId} />}
      <CustomFieldsCard key={`fields-${siteId}`} scope="site" targetId={siteId} />
      {scoped ? null : <ScopePolicyCard key={`policy-${siteId}`} scope="site" targetId={siteId} />}
      <ScopedAgentsSection scope={{ site_id: siteId }} />
    </div>
  );
}
