//! The notification pages (channels and the delivery log), split into their own chunk.
import { getRouteApi } from "@tanstack/react-router";
import { ChannelsPage } from "@/features/notifications/components/channels-page";
import { DeliveriesPage } from "@/features/notifications/components/deliveries-page";

const deliveriesApi = getRouteApi("/authed/notifications/deliveries");

export function ChannelsRoute() {
  return <ChannelsPage />;
}

export function DeliveriesRoute() {
  const search = deliveriesApi.useSearch();
  const navigate = deliveriesApi.useNavigate();
  return <DeliveriesPage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}
