//! "Under maintenance until …: reason" on an agent's page (the windows the server says are active on
//! it) and on a site's or client's page (the active windows targeting it).
import { WrenchIcon } from "lucide-react";
import type { MaintenanceWindow } from "@/api/types";
import { useNow } from "@/hooks/use-now";
import { formatDateTime } from "@/lib/format";
import { useAgentMaintenance, useMaintenanceWindows } from "../api/maintenance";
import { activeUntil, activeWindowsOn, type MaintenanceScope } from "../maintenance-form";

export function MaintenanceBanner({ windows }: { windows: readonly MaintenanceWindow[] }) {
  const now = useNow(60_000);
  if (windows.length === 0) return null;
  return (
    <div
      role="status"
      className="grid gap-0.5 rounded-md border border-warning/40 bg-warning/10 px-3 py-2 text-sm"
      data-testid="maintenance-banner"
    >
      {windows.map((window) => (
        <p key={window.id} className="flex items-start gap-2">
          <WrenchIcon className="mt-0.5 size-4 shrink-0 text-amber-700 dark:text-warning" aria-hidden />
          <span>
            Under maintenance until {formatDateTime(activeUntil(window, now).toISOString())}
            {window.reason ? `: ${window.reason}` : ""}
            {window.scope !== "agent" && window.target_name ? (
              <span className="text-muted-foreground">
                {" "}
                ({window.scope} {window.target_name})
              </span>
            ) : null}
          </span>
        </p>
      ))}
    </div>
  );
}

export function AgentMaintenanceBanner({ agentId }: { agentId: string }) {
  const windows = useAgentMaintenance(agentId);
  return <MaintenanceBanner windows={windows.data?.items ?? []} />;
}

export function TargetMaintenanceBanner({ scope, targetId }: { scope: Exclude<MaintenanceScope, "agent">; targetId: string }) {
  const windows = useMaintenanceWindows();
  return <MaintenanceBanner windows={activeWindowsOn(windows.data?.items ?? [], scope, targetId)} />;
}
