//! The maintenance windows: what each covers, when, whether it is active now; plan and end windows.
import { Link } from "@tanstack/react-router";
import { PlusIcon, Trash2Icon, WrenchIcon } from "lucide-react";
import type { MaintenanceWindow } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { POLICY_SCOPE_LABELS } from "@/lib/monitoring";
import { useDeleteMaintenanceWindow, useMaintenanceWindows } from "../api/maintenance";
import { MaintenanceDialog } from "./maintenance-dialog";

export function MaintenancePage() {
  useDocumentTitle("Maintenance");
  const mayMutate = useCan("manage_alerts");
  const windows = useMaintenanceWindows();
  const list = {
    ...windows,
    data: windows.data ? { items: windows.data.items, total: windows.data.items.length, per_page: 0 } : undefined,
  };
  const newButton = mayMutate ? (
    <MaintenanceDialog
      trigger={
        <Button data-testid="new-maintenance-button">
          <PlusIcon /> Plan maintenance
        </Button>
      }
    />
  ) : null;
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Maintenance windows"
        description="Times when an agent, a site or a client raises no alert and sends no notification."
        actions={newButton}
      />
      <DataTable
        query={list}
        columns={maintenanceColumns(mayMutate)}
        rowKey={(window) => window.id}
        rowProps={(window) => ({ "data-testid": "maintenance-row", "data-active": window.active })}
        testId="maintenance-table"
        framed
        empty={
          <EmptyState icon={WrenchIcon} title="No maintenance window" action={newButton} data-testid="maintenance-empty">
            Plan one before rebooting servers or replacing network gear, so nobody is woken for it.
          </EmptyState>
        }
      />
    </div>
  );
}

function TargetLink({ window }: { window: MaintenanceWindow }) {
  const name = window.target_name ?? "(deleted)";
  const className = "truncate font-medium hover:underline";
  if (window.scope === "agent")
    return (
      <Link to="/agents/$agentId" params={{ agentId: window.target_id }} className={className}>
        {name}
      </Link>
    );
  if (window.scope === "site")
    return (
      <Link to="/sites/$siteId" params={{ siteId: window.target_id }} className={className}>
        {name}
      </Link>
    );
  return (
    <Link to="/clients/$clientId" params={{ clientId: window.target_id }} className={className}>
      {name}
    </Link>
  );
}

function maintenanceColumns(mayMutate: boolean): DataColumn<MaintenanceWindow>[] {
  const columns: DataColumn<MaintenanceWindow>[] = [
    {
      header: "Target",
      headerClassName: "w-56",
      cell: (window) => (
        <div className="grid min-w-0">
          <TargetLink window={window} />
          <span className="text-xs text-muted-foreground">{POLICY_SCOPE_LABELS[window.scope]}</span>
        </div>
      ),
    },
    {
      header: "When",
      headerClassName: "w-80",
      className: "text-xs tabular-nums",
      cell: (window) => (
        <span>
          {formatDateTime(window.starts_at)} – {formatDateTime(window.ends_at)}
          {window.weekly ? <span className="block text-muted-foreground">every week</span> : null}
        </span>
      ),
    },
    {
      header: "Reason",
      fill: true,
      className: "truncate",
      cell: (window) => window.reason || <span className="text-muted-foreground">—</span>,
    },
    {
      header: "Status",
      headerClassName: "w-24",
      cell: (window) =>
        window.active ? (
          <Badge variant="warning" data-testid="maintenance-active">
            Active
          </Badge>
        ) : (
          <Badge variant="muted">Planned</Badge>
        ),
    },
  ];
  if (mayMutate) columns.push({ header: "Actions", headerClassName: "w-16", cell: (window) => <DeleteWindow window={window} /> });
  return columns;
}

function DeleteWindow({ window }: { window: MaintenanceWindow }) {
  const remove = useDeleteMaintenanceWindow();
  return (
    <ConfirmDialog
      trigger={
        <Button
          variant="ghost"
          size="icon"
          aria-label={`Delete the window on ${window.target_name ?? "its target"}`}
          data-testid="delete-maintenance"
        >
          <Trash2Icon />
        </Button>
      }
      title="Delete this maintenance window?"
      description={window.active ? "It ends at once: alerts and notifications about its agents resume now." : "It will not start."}
      confirmLabel="Delete"
      onConfirm={() => remove.mutateAsync(window.id)}
    />
  );
}
