import { QueryClient } from "@tanstack/react-query";
import type { AgentCheckList } from "@/api/types";
import { createLiveInvalidator } from "@/lib/live-invalidator";
import { agentCheck } from "@/test/fixtures";
import { checkKeys } from "./api/checks";
import { handleCheckLiveEvent } from "./live-cache";

describe("check_status events", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("patch the check's state at once and refetch the agent's checks once per burst", () => {
    const queryClient = new QueryClient();
    const since = "2026-01-01T00:00:00Z";
    queryClient.setQueryData<AgentCheckList>(checkKeys.list("a"), {
      items: [agentCheck({ name: "Web port", since }), agentCheck({ name: "Disk", since })],
    });
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    const invalidator = createLiveInvalidator(queryClient, 1000);

    handleCheckLiveEvent(
      { type: "check_status", agent_id: "a", name: "Web port", state: "failing", checked_at: "2026-01-02T00:00:00Z" },
      invalidator,
      queryClient,
    );
    handleCheckLiveEvent(
      { type: "check_status", agent_id: "a", name: "Disk", state: "passing", checked_at: "2026-01-02T00:00:01Z" },
      invalidator,
      queryClient,
    );
    const items = queryClient.getQueryData<AgentCheckList>(checkKeys.list("a"))?.items;
    expect(items?.[0]).toMatchObject({ state: "failing", last_checked_at: "2026-01-02T00:00:00Z", since: "2026-01-02T00:00:00Z" });
    // Still passing: the state's start does not move.
    expect(items?.[1]).toMatchObject({ state: "passing", last_checked_at: "2026-01-02T00:00:01Z", since });

    expect(invalidate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(invalidate).toHaveBeenCalledTimes(2);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: checkKeys.list("a"), exact: true });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: checkKeys.histories("a") });
  });
});
