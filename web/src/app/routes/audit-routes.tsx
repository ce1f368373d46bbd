//! The audit log page, in its own chunk: most users never open it.
import { getRouteApi } from "@tanstack/react-router";
import { AuditPage } from "@/features/audit/components/audit-page";

const auditApi = getRouteApi("/authed/audit");

export function AuditRoute() {
  const search = auditApi.useSearch();
  const navigate = auditApi.useNavigate();
  return <AuditPage search={search} onSearchChange={(next) => void navigate({ search: next })} />;
}
