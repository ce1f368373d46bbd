//! One alert's actions (acknowledge, snooze, resolve) as a row menu, or as buttons in its details.
import { BellOffIcon, CheckCheckIcon, CheckIcon, MoreHorizontalIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { errorMessage } from "@/api/errors";
import type { Alert } from "@/api/types";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { useCan } from "@/lib/auth";
import { useResolveAlert } from "../api/alerts";
import { AcknowledgeDialog, SnoozeDialog } from "./alert-action-dialogs";

function useAlertActions(alert: Alert) {
  const [dialog, setDialog] = useState<"acknowledge" | "snooze" | null>(null);
  const resolve = useResolveAlert();
  const resolveNow = () =>
    resolve.mutate(alert.id, {
      onSuccess: () => toast.success("Alert resolved."),
      onError: (error) => toast.error(errorMessage(error)),
    });
  const dialogs = (
    <>
      <AcknowledgeDialog ids={[alert.id]} open={dialog === "acknowledge"} onOpenChange={(open) => setDialog(open ? "acknowledge" : null)} />
      <SnoozeDialog alertId={alert.id} open={dialog === "snooze"} onOpenChange={(open) => setDialog(open ? "snooze" : null)} />
    </>
  );
  return {
    mayAcknowledge: alert.status === "open",
    resolved: alert.status === "resolved",
    open: setDialog,
    resolveNow,
    resolving: resolve.isPending,
    dialogs,
  };
}

/** The "…" menu of an alert's row; nothing for readonly users or a resolved alert. */
export function AlertRowActions({ alert }: { alert: Alert }) {
  const mayMutate = useCan("manage_alerts");
  const actions = useAlertActions(alert);
  if (!mayMutate || actions.resolved) return null;
  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" size="icon" aria-label={`Actions for ${alert.title}`} data-testid="alert-row-actions">
            <MoreHorizontalIcon />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end">
          {actions.mayAcknowledge ? (
            <DropdownMenuItem onSelect={() => actions.open("acknowledge")}>
              <CheckIcon /> Acknowledge…
            </DropdownMenuItem>
          ) : null}
          <DropdownMenuItem onSelect={() => actions.open("snooze")}>
            <BellOffIcon /> Snooze…
          </DropdownMenuItem>
          <DropdownMenuItem onSelect={actions.resolveNow} disabled={actions.resolving}>
            <CheckCheckIcon /> Resolve
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      {actions.dialogs}
    </>
  );
}

/** The same actions as buttons, for the alert's details. */
export function AlertActionButtons({ alert }: { alert: Alert }) {
  const mayMutate = useCan("manage_alerts");
  const actions = useAlertActions(alert);
  if (!mayMutate || actions.resolved) return null;
  return (
    <div className="flex flex-wrap gap-2">
      {actions.mayAcknowledge ? (
        <Button variant="outline" size="sm" onClick={() => actions.open("acknowledge")}>
          <CheckIcon /> Acknowledge
        </Button>
      ) : null}
      <Button variant="outline" size="sm" onClick={() => actions.open("snooze")}>
        <BellOffIcon /> Snooze
      </Button>
      <Button variant="outline" size="sm" onClick={actions.resolveNow} disabled={actions.resolving}>
        <CheckCheckIcon /> Resolve
      </Button>
      {actions.dialogs}
    </div>
  );
}
