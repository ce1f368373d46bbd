//! The monitoring pages (overview, alerts, the fleet's checks, policies), split into their own chunk.
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { AlertsPage } from "@/features/alerts/components/alerts-page";
import { FleetChecksPage } from "@/features/fleet-checks/components/fleet-checks-page";
import { OverviewPage } from "@/features/overview/components/overview-page";
import { PoliciesPage } from "@/features/policies/components/policies-page";
import { CheckTemplatesPage } from "@/features/policies/components/check-templates-page";
import { EditPolicyPage, NewPolicyPage } from "@/features/policies/components/policy-editor-page";

const alertsApi = getRouteApi("/authed/alerts");
const fleetChecksApi = getRouteApi("/authed/checks");
const policyApi = getRouteApi("/authed/policies/$policyId");

export function OverviewRoute() {
  return <OverviewPage />;
}

export function AlertsRoute() {
  const search = alertsApi.useSearch();
  const navigate = alertsApi.useNavigate();
  return <AlertsPage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}

export function FleetChecksRoute() {
  const search = fleetChecksApi.useSearch();
  const navigate = fleetChecksApi.useNavigate();
  return <FleetChecksPage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}

export function PoliciesRoute() {
  return <PoliciesPage />;
}

export function NewPolicyRoute() {
  const navigate = useNavigate();
  return (
    <NewPolicyPage onCreated={(policy) => void navigate({ to: "/policies/$policyId", params: { policyId: policy.id }, replace: true })} />
  );
}

export function PolicyRoute() {
  const { policyId } = policyApi.useParams();
  const navigate = useNavigate();
  return <EditPolicyPage key={policyId} policyId={policyId} onDeleted={() => void navigate({ to: "/policies" })} />;
}

export function CheckTemplatesRoute() {
  return <CheckTemplatesPage />;
}
