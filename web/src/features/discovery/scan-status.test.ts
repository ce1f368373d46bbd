import { isScanActive, scanOutcome, scanPercent } from "./scan-status";

const ended = { hosts_found: 12, new_devices: 2, missing_devices: 1, message: "" };

describe("scan status", () => {
  it("polls queued and running scans only", () => {
    expect(["queued", "running", "completed", "cancelled", "failed"].filter((status) => isScanActive({ status }))).toEqual([
      "queued",
      "running",
    ]);
  });

  it("rounds the progress to a percentage within 0 to 100", () => {
    expect(scanPercent({ progress: 0.456 })).toBe(46);
    expect(scanPercent({ progress: 1.2 })).toBe(100);
    expect(scanPercent({ progress: -1 })).toBe(0);
  });

  it("sums up how a scan ended", () => {
    expect(scanOutcome({ ...ended, status: "completed" })).toBe("Completed: 12 hosts, 2 new, 1 missing");
    expect(scanOutcome({ ...ended, status: "completed", hosts_found: 1 })).toBe("Completed: 1 host, 2 new, 1 missing");
    expect(scanOutcome({ ...ended, status: "failed", message: "the agent went offline" })).toBe("Failed: the agent went offline");
    expect(scanOutcome({ ...ended, status: "cancelled", message: "" })).toBe("Cancelled");
  });
});
