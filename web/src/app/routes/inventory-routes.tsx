//! The fleet's software page, split into its own chunk.
import { getRouteApi } from "@tanstack/react-router";
import { SoftwarePage } from "@/features/inventory/components/software-page";

const softwareApi = getRouteApi("/authed/software");

export function SoftwareRoute() {
  const search = softwareApi.useSearch();
  const navigate = softwareApi.useNavigate();
  return <SoftwarePage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}
