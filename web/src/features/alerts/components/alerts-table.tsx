//! The alerts table: severity, status, title, agent, client, site, opened, acknowledged by, and a
//! row menu; with `selectable`, a box per row and a bar to acknowledge or resolve the selection.
//! The alerts page and an agent's Alerts tab show it.
import { Link } from "@tanstack/react-router";
import { BellIcon, CheckCheckIcon, CheckIcon } from "lucide-react";
import { useState, type ReactNode } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import type { Alert } from "@/api/types";
import { DataTable, type DataColumn, type ListQuery } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { AlertStatusBadge, SeverityBadge } from "@/components/monitoring-badges";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { useCan } from "@/lib/auth";
import { ALERT_KIND_LABELS } from "@/lib/monitoring";
import { ALERTS_PER_PAGE, useBulkAlerts } from "../api/alerts";
import { AcknowledgeDialog, bulkMessage } from "./alert-action-dialogs";
import { AlertRowActions } from "./alert-actions";

export function AlertsTable({
  query,
  page,
  onPageChange,
  onOpen,
  showPlace = true,
  dimmed,
  empty,
  testId = "alerts-table",
}: {
  query: ListQuery<Alert>;
  page: number;
  onPageChange: (page: number) => void;
  /** Opens the alert's details. */
  onOpen: (alertId: string) => void;
  /** Show the agent, client and site columns (not on an agent's own page). */
  showPlace?: boolean;
  dimmed: boolean;
  empty?: ReactNode;
  testId?: string;
}) {
  const mayMutate = useCan("manage_alerts");
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const rows = query.data?.items ?? [];
  // Rows that left the page (resolved, or another page) are no longer selected.
  const selectable = rows.filter((alert) => alert.status !== "resolved");
  const selectedIds = selectable.filter((alert) => selected.has(alert.id)).map((alert) => alert.id);
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = selectable.length > 0 && selectedIds.length === selectable.length;

  const selectColumn: DataColumn<Alert> = {
    header: "Select",
    headerClassName: "w-8",
    headerContent: (
      <input
        type="checkbox"
        className="size-3.5 accent-primary"
        aria-label="Select every unresolved alert of the page"
        checked={allSelected}
        disabled={selectable.length === 0}
        onChange={() => setSelected(allSelected ? new Set() : new Set(selectable.map((alert) => alert.id)))}
        data-testid="select-all-alerts"
      />
    ),
    cell: (alert) =>
      alert.status === "resolved" ? null : (
        <input
          type="checkbox"
          className="size-3.5 accent-primary"
          aria-label={`Select ${alert.title}`}
          checked={selected.has(alert.id)}
          onChange={() => toggle(alert.id)}
          onClick={(event) => event.stopPropagation()}
          data-testid="select-alert"
        />
      ),
  };
  const columns = [
    ...(mayMutate ? [selectColumn] : []),
    ...alertColumns(onOpen, showPlace),
    ...(mayMutate
      ? [
          {
            header: "Actions",
            headerClassName: "w-10",
            cell: (alert: Alert) => <AlertRowActions alert={alert} />,
          } satisfies DataColumn<Alert>,
        ]
      : []),
  ];

  return (
    <div className="grid gap-2">
      {mayMutate && selectedIds.length > 0 ? <BulkBar ids={selectedIds} onDone={() => setSelected(new Set())} /> : null}
      <DataTable
        query={query}
        columns={columns}
        rowKey={(alert) => alert.id}
        rowProps={(alert) => ({
          "data-testid": "alert-row",
          "data-alert-id": alert.id,
          "data-status": alert.status,
          "data-severity": alert.severity,
        })}
        testId={testId}
        framed
        dimmed={dimmed}
        empty={empty ?? <EmptyState icon={BellIcon} title="No alert" />}
        pagination={{ page, perPage: ALERTS_PER_PAGE, onPageChange, onlyWhenSeveral: true }}
      />
    </div>
  );
}

function BulkBar({ ids, onDone }: { ids: string[]; onDone: () => void }) {
  const [acknowledging, setAcknowledging] = useState(false);
  const bulk = useBulkAlerts();
  const resolve = () =>
    bulk.mutate(
      { ids, action: "resolve" },
      {
        onSuccess: (result) => {
          toast.success(bulkMessage("resolved", result.changed.length, result.skipped.length));
          onDone();
        },
        onError: (error) => toast.error(errorMessage(error)),
      },
    );
  return (
    <div className="flex items-center gap-2 rounded-md border bg-muted/40 px-3 py-1.5 text-sm" data-testid="alerts-bulk-bar">
      <span className="font-medium">{ids.length} selected</span>
      <Button size="sm" variant="outline" onClick={() => setAcknowledging(true)}>
        <CheckIcon /> Acknowledge…
      </Button>
      <Button size="sm" variant="outline" onClick={resolve} disabled={bulk.isPending}>
        <CheckCheckIcon /> Resolve
      </Button>
      <Button size="sm" variant="ghost" onClick={onDone}>
        Clear selection
      </Button>
      <AcknowledgeDialog ids={ids} open={acknowledging} onOpenChange={setAcknowledging} onDone={onDone} />
    </div>
  );
}

function alertColumns(onOpen: (alertId: string) => void, showPlace: boolean): DataColumn<Alert>[] {
  const place: DataColumn<Alert>[] = [
    {
      header: "Agent",
      headerClassName: "w-40",
      className: "max-w-40 truncate",
      cell: (alert) =>
        alert.agent_id ? (
          <Link to="/agents/$agentId" params={{ agentId: alert.agent_id }} className="hover:underline" search={{ tab: "alerts" }}>
            {alert.agent_alias || alert.agent_hostname || alert.agent_id.slice(0, 8)}
          </Link>
        ) : (
          <span className="text-muted-foreground">–</span>
        ),
    },
    {
      header: "Client",
      headerClassName: "w-36",
      className: "max-w-36 truncate text-muted-foreground",
      cell: (alert) =>
        alert.client_id ? (
          <Link to="/clients/$clientId" params={{ clientId: alert.client_id }} className="hover:underline">
            {alert.client_name}
          </Link>
        ) : (
          "–"
        ),
    },
    {
      header: "Site",
      headerClassName: "w-32",
      className: "max-w-32 truncate text-muted-foreground",
      cell: (alert) =>
        alert.site_id ? (
          <Link to="/sites/$siteId" params={{ siteId: alert.site_id }} className="hover:underline">
            {alert.site_name}
          </Link>
        ) : (
          "–"
        ),
    },
  ];
  return [
    { header: "Severity", headerClassName: "w-24", cell: (alert) => <SeverityBadge severity={alert.severity} /> },
    {
      header: "Status",
      headerClassName: "w-32",
      cell: (alert) => <AlertStatusBadge status={alert.status} snoozed={isSnoozed(alert)} flapping={alert.flapping} />,
    },
    {
      header: "Alert",
      fill: true,
      cell: (alert) => (
        <button
          type="button"
          className="block w-full truncate text-left font-medium hover:underline"
          title={alert.title}
          onClick={() => onOpen(alert.id)}
          data-testid="alert-title"
        >
          {alert.title}
          <span className="ml-2 text-xs font-normal text-muted-foreground">{ALERT_KIND_LABELS[alert.kind]}</span>
        </button>
      ),
    },
    ...(showPlace ? place : []),
    {
      header: "Opened",
      headerClassName: "w-28",
      className: "text-muted-foreground",
      cell: (alert) => <RelativeTime value={alert.opened_at} />,
    },
    {
      header: "Acknowledged by",
      headerClassName: "w-40",
      className: "max-w-40 truncate text-muted-foreground",
      cellProps: (alert) => ({ title: alert.acknowledge_note ?? undefined }),
      cell: (alert) => alert.acknowledged_by_email ?? "–",
    },
  ];
}

/** Whether notifications about the alert are held right now. */
export function isSnoozed(alert: Alert, now: number = Date.now()): boolean {
  return Boolean(alert.snoozed_until && Date.parse(alert.snoozed_until) > now);
}
