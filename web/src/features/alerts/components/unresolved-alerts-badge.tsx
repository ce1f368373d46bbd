//! The count of unresolved alerts beside "Alerts" in the navigation, kept current by alert events.
import { useUnresolvedAlertCount } from "../api/alerts";

export function UnresolvedAlertsBadge() {
  const count = useUnresolvedAlertCount();
  if (!count.data) return null;
  return (
    <span
      className="ml-auto rounded-full bg-destructive px-1.5 text-[11px] leading-4 font-semibold text-white tabular-nums"
      data-testid="unresolved-alerts-count"
      aria-label={`${count.data} unresolved`}
    >
      {count.data > 999 ? "999+" : count.data}
    </span>
  );
}
