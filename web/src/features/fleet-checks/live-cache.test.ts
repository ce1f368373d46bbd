import { QueryClient } from "@tanstack/react-query";
import type { LiveEvent } from "@/lib/live-events";
import { createLiveInvalidator } from "@/lib/live-invalidator";
import { fleetCheckKeys } from "./api/fleet-checks";
import { FLEET_CHECK_REFETCH_DELAY_MS, handleFleetCheckLiveEvent } from "./live-cache";

describe("the fleet's checks refetch from live events", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("refetches the lists once per burst of check events, and ignores other events", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    const invalidator = createLiveInvalidator(queryClient, FLEET_CHECK_REFETCH_DELAY_MS);
    const handle = (event: LiveEvent) => handleFleetCheckLiveEvent(event, invalidator);

    handle({ type: "agent_status", agent_id: "a", status: "offline", last_seen: null });
    handle({ type: "alert", alert_id: "al", agent_id: "a", kind: "check", check_name: "Disk", status: "open", severity: "critical" });
    vi.advanceTimersByTime(FLEET_CHECK_REFETCH_DELAY_MS);
    expect(invalidate).not.toHaveBeenCalled();

    for (let index = 0; index < 50; index += 1) {
      handle({ type: "check_status", agent_id: `a${index}`, name: "Gateway ping", state: "failing", checked_at: "" });
    }
    expect(invalidate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(FLEET_CHECK_REFETCH_DELAY_MS);
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: fleetCheckKeys.lists });
    invalidator.dispose();
  });

  it("refetches at once after a reconnect", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    handleFleetCheckLiveEvent({ type: "connected" }, createLiveInvalidator(queryClient, FLEET_CHECK_REFETCH_DELAY_MS));
    expect(invalidate).toHaveBeenCalledWith({ queryKey: fleetCheckKeys.lists });
  });
});
