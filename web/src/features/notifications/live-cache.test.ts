import { QueryClient } from "@tanstack/react-query";
import type { LiveEvent } from "@/lib/live-events";
import { createLiveInvalidator } from "@/lib/live-invalidator";
import { notificationKeys } from "./api/notifications";
import { DELIVERY_REFETCH_DELAY_MS, handleNotificationLiveEvent } from "./live-cache";

describe("delivery log refetches from live events", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("refetches once per burst of alert events and ignores the rest", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    const invalidator = createLiveInvalidator(queryClient, DELIVERY_REFETCH_DELAY_MS);
    const handle = (event: LiveEvent) => handleNotificationLiveEvent(event, invalidator);

    handle({ type: "agent_status", agent_id: "a", status: "online", last_seen: null });
    vi.advanceTimersByTime(DELIVERY_REFETCH_DELAY_MS);
    expect(invalidate).not.toHaveBeenCalled();

    for (let index = 0; index < 20; index += 1) {
      handle({
        type: "alert",
        alert_id: `al${index}`,
        agent_id: null,
        kind: "site_offline",
        check_name: null,
        status: "open",
        severity: "critical",
      });
    }
    expect(invalidate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DELIVERY_REFETCH_DELAY_MS);
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: notificationKeys.deliveryLists });
    invalidator.dispose();
  });

  it("refetches at once after a reconnect", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    handleNotificationLiveEvent({ type: "connected" }, createLiveInvalidator(queryClient, DELIVERY_REFETCH_DELAY_MS));
    expect(invalidate).toHaveBeenCalledWith({ queryKey: notificationKeys.deliveryLists });
  });
});
