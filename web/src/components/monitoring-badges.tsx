//! The badges of monitoring: an alert's severity and status and a check's state, the same on the
//! overview, the alerts list, an agent's checks and a policy.
import {
  ActivityIcon,
  BellOffIcon,
  CheckIcon,
  CircleAlertIcon,
  CircleDashedIcon,
  InfoIcon,
  OctagonAlertIcon,
  TriangleAlertIcon,
} from "lucide-react";
import type { AlertStatus, CheckState, Severity } from "@/api/types";
import { Badge } from "@/components/ui/badge";
import { ALERT_STATUS_LABELS, CHECK_STATE_LABELS, SEVERITY_LABELS } from "@/lib/monitoring";

const SEVERITY_STYLE = {
  critical: { variant: "destructive", icon: OctagonAlertIcon },
  warning: { variant: "warning", icon: TriangleAlertIcon },
  info: { variant: "info", icon: InfoIcon },
} as const satisfies Record<Severity, unknown>;

export function SeverityBadge({ severity }: { severity: Severity }) {
  const { variant, icon: Icon } = SEVERITY_STYLE[severity];
  return (
    <Badge variant={variant} data-testid="severity-badge" data-severity={severity}>
      <Icon aria-hidden /> {SEVERITY_LABELS[severity]}
    </Badge>
  );
}

const CHECK_STATE_STYLE = {
  failing: { variant: "destructive", icon: CircleAlertIcon },
  warning: { variant: "warning", icon: TriangleAlertIcon },
  passing: { variant: "success", icon: CheckIcon },
  pending: { variant: "muted", icon: CircleDashedIcon },
} as const satisfies Record<CheckState, unknown>;

export function CheckStateBadge({ state }: { state: CheckState }) {
  const { variant, icon: Icon } = CHECK_STATE_STYLE[state];
  return (
    <Badge variant={variant} data-testid="check-state-badge" data-state={state}>
      <Icon aria-hidden /> {CHECK_STATE_LABELS[state]}
    </Badge>
  );
}

const ALERT_STATUS_VARIANT = { open: "destructive", acknowledged: "secondary", resolved: "success" } as const satisfies Record<
  AlertStatus,
  unknown
>;

export function AlertStatusBadge({
  status,
  snoozed = false,
  flapping = false,
}: {
  status: AlertStatus;
  snoozed?: boolean;
  /** The check keeps changing state: one alert stands for the whole episode. */
  flapping?: boolean;
}) {
  return (
    <span className="flex items-center gap-1">
      <Badge variant={ALERT_STATUS_VARIANT[status]} data-testid="alert-status-badge" data-status={status}>
        {ALERT_STATUS_LABELS[status]}
      </Badge>
      {flapping ? (
        <Badge variant="warning" title="The check keeps changing state; one alert until it settles" data-testid="alert-flapping">
          <ActivityIcon aria-hidden /> Flapping
        </Badge>
      ) : null}
      {snoozed && status !== "resolved" ? (
        <Badge variant="muted" title="Notifications are snoozed">
          <BellOffIcon aria-hidden /> Snoozed
        </Badge>
      ) : null}
    </span>
  );
}
