//! The header's note for a user limited to some clients ("Limited to 2 clients"), naming them in its
//! tooltip; nothing for a user of the whole organization.
import { BuildingIcon } from "lucide-react";
import { scopeBadgeText } from "@/components/layout/scoped-pages";
import { Badge } from "@/components/ui/badge";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { useClientScope } from "@/lib/auth";
import { useAllClients } from "../api/clients";

export function ClientScopeBadge() {
  const scope = useClientScope();
  // A scoped user's list holds exactly their clients.
  const clients = useAllClients(scope !== null);
  if (scope === null) return null;
  const names = clients.data?.filter((client) => scope.includes(client.id)).map((client) => client.name);
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <Badge variant="info" tabIndex={0} className="max-sm:hidden" data-testid="client-scope-badge" data-count={scope.length}>
          <BuildingIcon aria-hidden /> {scopeBadgeText(scope)}
        </Badge>
      </TooltipTrigger>
      <TooltipContent className="max-w-xs">
        Your access is limited to {names && names.length > 0 ? names.join(", ") : `${scope.length} client${scope.length === 1 ? "" : "s"}`}.
        Alerts, checks, scripts, jobs, policies and settings are for users of the whole organization.
      </TooltipContent>
    </Tooltip>
  );
}
