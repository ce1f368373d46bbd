//! The monitoring pages (overview, alerts, policies), split into their own chunk.
import { getRouteApi } from "@tanstack/react-router";
import { AlertsPage } from "@/features/alerts/components/alerts-page";
import { OverviewPage } from "@/features/overview/components/overview-page";

const alertsApi = getRouteApi("/authed/alerts");

export function OverviewRoute() {
  return <OverviewPage />;
}

export function AlertsRoute() {
  const search = alertsApi.useSearch();
  const navigate = alertsApi.useNavigate();
  return <AlertsPage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}
