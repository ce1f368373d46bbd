//! An agent's alerts (its page's Alerts tab): the alerts table of that agent with a status filter,
//! held in the tab's own state, and the details of the alert opened from it.
import { BellIcon } from "lucide-react";
import { useState } from "react";
import { EmptyState } from "@/components/empty-state";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { ALERTS_PER_PAGE, useAlerts } from "../api/alerts";
import { ALERT_STATUS_FILTERS, alertListQuery, type AlertStatusFilter } from "../alert-list-search";
import { AlertDetailDialog } from "./alert-detail-dialog";
import { ALERT_STATUS_FILTER_LABELS } from "./alerts-page";
import { AlertsTable } from "./alerts-table";

export function AgentAlertsSection({ agentId }: { agentId: string }) {
  const [status, setStatus] = useState<AlertStatusFilter>("unresolved");
  const [page, setPage] = useState(1);
  const [openAlert, setOpenAlert] = useState<string | undefined>();
  const alerts = useAlerts(alertListQuery({ status: status === "unresolved" ? undefined : status, page }, ALERTS_PER_PAGE, agentId));
  return (
    <div className="grid gap-3" data-testid="agent-alerts">
      <Select
        value={status}
        onValueChange={(next) => {
          setStatus(next as AlertStatusFilter);
          setPage(1);
        }}
      >
        <SelectTrigger aria-label="Filter by status" className="w-40" data-testid="agent-alert-status-filter">
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          {ALERT_STATUS_FILTERS.map((option) => (
            <SelectItem key={option} value={option}>
              {ALERT_STATUS_FILTER_LABELS[option]}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      <AlertsTable
        query={alerts}
        page={page}
        onPageChange={setPage}
        onOpen={setOpenAlert}
        showPlace={false}
        dimmed={alerts.isPlaceholderData}
        testId="agent-alerts-table"
        empty={<EmptyState icon={BellIcon} title={status === "unresolved" ? "No unresolved alert on this agent" : "No alert matches"} />}
      />
      <AlertDetailDialog alertId={openAlert} onClose={() => setOpenAlert(undefined)} />
    </div>
  );
}
