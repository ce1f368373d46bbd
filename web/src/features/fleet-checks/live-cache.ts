//! Which fleet checks queries a live event makes stale. A `check_status` event may move a check in
//! the list's order or out of its filter, so the lists refetch, at most once a second however many
//! checks change (a network outage fails one check on every agent of a site).
import type { LiveInvalidator } from "@/lib/live-invalidator";
import type { LiveEvent } from "@/lib/live-events";
import { fleetCheckKeys } from "./api/fleet-checks";

export const FLEET_CHECK_REFETCH_DELAY_MS = 1_000;

export function handleFleetCheckLiveEvent(event: LiveEvent, invalidate: LiveInvalidator): void {
  if (event.type === "connected") {
    invalidate.now({ queryKey: fleetCheckKeys.lists });
    return;
  }
  if (event.type !== "check_status") return;
  invalidate.soon("lists", { queryKey: fleetCheckKeys.lists });
}
