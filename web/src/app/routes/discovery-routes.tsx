//! A site's network discovery page, split into its own chunk.
import { getRouteApi } from "@tanstack/react-router";
import { DiscoveryPage } from "@/features/discovery/components/discovery-page";

const discoveryApi = getRouteApi("/authed/sites/$siteId/discovery");

export function DiscoveryRoute() {
  const { siteId } = discoveryApi.useParams();
  const search = discoveryApi.useSearch();
  const navigate = discoveryApi.useNavigate();
  return (
    <DiscoveryPage key={siteId} siteId={siteId} search={search} onSearchChange={(next) => void navigate({ search: next, replace: true })} />
  );
}
