import { QueryClient } from "@tanstack/react-query";
import type { CommandStatusEvent, LiveEvent } from "@/lib/live-events";
import { createLiveInvalidator } from "@/lib/live-invalidator";
import { jobKeys } from "./api/jobs";
import { handleJobLiveEvent } from "./live-cache";

const status = (commandId: string, jobId: string | null): CommandStatusEvent => ({
  type: "command_status",
  command_id: commandId,
  agent_id: "a",
  status: "completed",
  exit_code: 0,
  job_id: jobId,
});

describe("job refetches from command events", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("refetches each job and the lists once per burst of its commands' events", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    const invalidator = createLiveInvalidator(queryClient, 1000);
    const refetcher = { handle: (event: LiveEvent) => handleJobLiveEvent(event, invalidator), dispose: invalidator.dispose };

    for (let index = 0; index < 50; index += 1) refetcher.handle(status(`c${index}`, "j1"));
    refetcher.handle(status("other", "j2"));
    refetcher.handle(status("plain", null));
    expect(invalidate).not.toHaveBeenCalled();

    vi.advanceTimersByTime(1000);
    expect(invalidate).toHaveBeenCalledTimes(3);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: jobKeys.detail("j1"), exact: true });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: jobKeys.detail("j2"), exact: true });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: jobKeys.lists });

    // A later event starts a new burst.
    refetcher.handle(status("late", "j1"));
    vi.advanceTimersByTime(1000);
    expect(invalidate).toHaveBeenCalledTimes(5);
    refetcher.dispose();
  });

  it("ignores commands outside jobs and refetches everything after a reconnect", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries").mockResolvedValue();
    const invalidator = createLiveInvalidator(queryClient, 1000);
    const refetcher = { handle: (event: LiveEvent) => handleJobLiveEvent(event, invalidator), dispose: invalidator.dispose };
    refetcher.handle(status("plain", null));
    vi.advanceTimersByTime(1000);
    expect(invalidate).not.toHaveBeenCalled();
    refetcher.handle({ type: "connected" });
    expect(invalidate).toHaveBeenCalledWith({ queryKey: jobKeys.all });
  });
});
