import { QueryClient } from "@tanstack/react-query";
import type { LiveEvent } from "@/lib/live-events";
import { createLiveInvalidator } from "@/lib/live-invalidator";
import { overviewKeys } from "./api/overview";
import { handleOverviewLiveEvent, OVERVIEW_REFETCH_DELAY_MS } from "./live-cache";

describe("overview refetches from live events", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("refetches once per burst of status, alert and check events, and ignores metrics", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    const invalidator = createLiveInvalidator(queryClient, OVERVIEW_REFETCH_DELAY_MS);
    const handle = (event: LiveEvent) => handleOverviewLiveEvent(event, invalidator);

    handle({ type: "agent_metrics", agent_id: "a", collected_at: "", cpu_percent: 1, memory_used_bytes: null, memory_total_bytes: null });
    vi.advanceTimersByTime(OVERVIEW_REFETCH_DELAY_MS);
    expect(invalidate).not.toHaveBeenCalled();

    for (let index = 0; index < 100; index += 1) handle({ type: "agent_status", agent_id: `a${index}`, status: "online", last_seen: null });
    handle({ type: "alert", alert_id: "al", agent_id: null, kind: "site_offline", check_name: null, status: "open", severity: "critical" });
    handle({ type: "check_status", agent_id: "a", name: "Disk", state: "failing", checked_at: "" });
    expect(invalidate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(OVERVIEW_REFETCH_DELAY_MS);
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: overviewKeys.all });
    invalidator.dispose();
  });

  it("refetches at once after a reconnect", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    handleOverviewLiveEvent({ type: "connected" }, createLiveInvalidator(queryClient, OVERVIEW_REFETCH_DELAY_MS));
    expect(invalidate).toHaveBeenCalledWith({ queryKey: overviewKeys.all });
  });
});
