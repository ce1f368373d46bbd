//! The notification pages (channels and the delivery log) and maintenance windows, split into their own chunk.
import { getRouteApi } from "@tanstack/react-router";
import { ChannelsPage } from "@/features/notifications/components/channels-page";
import { DeliveriesPage } from "@/features/notifications/components/deliveries-page";
import { MaintenancePage } from "@/features/maintenance/components/maintenance-page";

const deliveriesApi = getRouteApi("/authed/notifications/deliveries");

export function ChannelsRoute() {
  return <ChannelsPage />;
}

export function DeliveriesRoute() {
  const search = deliveriesApi.useSearch();
  const navigate = deliveriesApi.useNavigate();
  return <DeliveriesPage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}

export function MaintenanceRoute() {
  return <MaintenancePage />;
}
