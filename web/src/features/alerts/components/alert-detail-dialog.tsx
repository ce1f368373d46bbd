//! One alert's details, in a panel over the list (its id is in the URL): what and where, the latest
//! detail text, and its timeline: opened, acknowledged (by whom, with the note), snoozed, resolved.
import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import type { Alert } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { AlertStatusBadge, SeverityBadge } from "@/components/monitoring-badges";
import { RelativeTime } from "@/components/relative-time";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { ALERT_KIND_LABELS } from "@/lib/monitoring";
import { useAlert } from "../api/alerts";
import { AlertActionButtons } from "./alert-actions";
import { isSnoozed } from "./alerts-table";

export function AlertDetailDialog({ alertId, onClose }: { alertId: string | undefined; onClose: () => void }) {
  const alert = useAlert(alertId);
  return (
    <Dialog open={alertId !== undefined} onOpenChange={(open) => !open && onClose()}>
      <DialogContent
        className="top-0 right-0 left-auto h-svh max-h-none max-w-[calc(100%-2rem)] translate-x-0 translate-y-0 content-start overflow-y-auto rounded-none sm:max-w-xl"
        data-testid="alert-detail"
      >
        {alert.isPending ? (
          <>
            <DialogTitle className="sr-only">Alert</DialogTitle>
            <Skeleton className="h-64" />
          </>
        ) : alert.isError ? (
          <>
            <DialogTitle>Alert</DialogTitle>
            <ErrorMessage error={alert.error} onRetry={() => void alert.refetch()} />
          </>
        ) : (
          <AlertDetail alert={alert.data} />
        )}
      </DialogContent>
    </Dialog>
  );
}

function AlertDetail({ alert }: { alert: Alert }) {
  return (
    <>
      <DialogHeader>
        <div className="flex flex-wrap items-center gap-2">
          <SeverityBadge severity={alert.severity} />
          <AlertStatusBadge status={alert.status} snoozed={isSnoozed(alert)} flapping={alert.flapping} />
          <span className="text-xs text-muted-foreground">{ALERT_KIND_LABELS[alert.kind]}</span>
        </div>
        <DialogTitle className="pr-6" data-testid="alert-detail-title">
          {alert.title}
        </DialogTitle>
        <DialogDescription asChild>
          <div className="flex flex-wrap gap-1 text-xs">
            {alert.agent_id ? (
              <Link to="/agents/$agentId" params={{ agentId: alert.agent_id }} search={{ tab: "checks" }} className="hover:underline">
                {alert.agent_alias ? `${alert.agent_alias} (${alert.agent_hostname ?? ""})` : alert.agent_hostname}
              </Link>
            ) : null}
            {alert.client_id ? (
              <>
                <span>·</span>
                <Link to="/clients/$clientId" params={{ clientId: alert.client_id }} className="hover:underline">
                  {alert.client_name}
                </Link>
              </>
            ) : null}
            {alert.site_id ? (
              <>
                <span>/</span>
                <Link to="/sites/$siteId" params={{ siteId: alert.site_id }} className="hover:underline">
                  {alert.site_name}
                </Link>
              </>
            ) : null}
            {alert.check_name ? <span>· check “{alert.check_name}”</span> : null}
          </div>
        </DialogDescription>
      </DialogHeader>
      <AlertActionButtons alert={alert} />
      <section className="grid gap-1">
        <h3 className="text-xs font-medium text-muted-foreground">Detail</h3>
        <pre
          className="max-h-64 overflow-auto rounded-md bg-muted px-3 py-2 font-mono text-xs whitespace-pre-wrap"
          data-testid="alert-detail-text"
        >
          {alert.detail || "No detail."}
        </pre>
      </section>
      <section className="grid gap-1">
        <h3 className="text-xs font-medium text-muted-foreground">Timeline</h3>
        <ol className="grid gap-2 border-l pl-3 text-sm" data-testid="alert-timeline">
          <TimelineItem label="Opened" at={alert.opened_at} />
          {alert.acknowledged_at ? (
            <TimelineItem label={`Acknowledged by ${alert.acknowledged_by_email ?? "someone"}`} at={alert.acknowledged_at}>
              {alert.acknowledge_note ? (
                <p className="text-xs whitespace-pre-wrap text-muted-foreground">“{alert.acknowledge_note}”</p>
              ) : null}
            </TimelineItem>
          ) : null}
          {alert.snoozed_until ? (
            <TimelineItem label={`Snoozed by ${alert.snoozed_by_email ?? "someone"} until`} at={alert.snoozed_until} />
          ) : null}
          {alert.resolved_at ? (
            <TimelineItem
              label={alert.resolved_by_email ? `Resolved by ${alert.resolved_by_email}` : "Resolved: the condition cleared"}
              at={alert.resolved_at}
            />
          ) : null}
        </ol>
      </section>
    </>
  );
}

function TimelineItem({ label, at, children }: { label: string; at: string; children?: ReactNode }) {
  return (
    <li className="grid gap-0.5">
      <span>
        {label} <RelativeTime value={at} className="text-muted-foreground" />
      </span>
      {children}
    </li>
  );
}
