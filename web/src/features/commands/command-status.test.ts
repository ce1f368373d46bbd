import { commandDurationMs, commandFirstLine, formatCommandDuration, isFinalStatus } from "./command-status";

describe("command status helpers", () => {
  it("knows which statuses are final", () => {
    expect(["queued", "running", "something-new"].map(isFinalStatus)).toEqual([false, false, false]);
    expect(["completed", "failed", "timeout", "cancelled", "interrupted", "expired"].every(isFinalStatus)).toBe(true);
  });

  it("measures from start to finish, or to now while running", () => {
    expect(commandDurationMs({ started_at: null })).toBeNull();
    expect(commandDurationMs({ started_at: "2026-01-01T00:00:00Z", finished_at: "2026-01-01T00:00:02.5Z" })).toBe(2500);
    expect(commandDurationMs({ started_at: "2026-01-01T00:00:00Z" }, Date.parse("2026-01-01T00:01:00Z"))).toBe(60_000);
  });

  it("formats durations for a dense table", () => {
    expect([42, 12_300, 125_000, 3_723_000].map(formatCommandDuration)).toEqual(["42 ms", "12.3 s", "2m 05s", "1h 02m"]);
    expect(formatCommandDuration(null)).toBe("–");
  });

  it("summarises a multi-line command by its first line", () => {
    expect(commandFirstLine("\n  apt-get update  \napt-get -y upgrade")).toBe("apt-get update …");
    expect(commandFirstLine("uptime")).toBe("uptime");
  });
});
