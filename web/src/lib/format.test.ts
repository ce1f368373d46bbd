import { formatBytes, formatDuration, formatPercent, formatRelativeTime, usagePercent } from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [8 * 1024 ** 3, "8.0 GiB"],
    [1.5 * 1024 ** 4, "1.5 TiB"],
  ])("%d bytes is %s", (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });

  it("shows a dash, not zero, for unknown values", () => {
    expect(formatBytes(null)).toBe("–");
    expect(formatBytes(undefined)).toBe("–");
    expect(formatBytes(Number.NaN)).toBe("–");
  });
});

describe("formatPercent and usagePercent", () => {
  it("rounds to the requested digits", () => {
    expect(formatPercent(12.345)).toBe("12.3 %");
    expect(formatPercent(99.96, 0)).toBe("100 %");
    expect(formatPercent(null)).toBe("–");
  });

  it("computes used of total, and refuses a zero or unknown total", () => {
    expect(usagePercent(512, 2048)).toBe(25);
    expect(usagePercent(5, 0)).toBeNull();
    expect(usagePercent(null, 100)).toBeNull();
    expect(usagePercent(100, null)).toBeNull();
    // A racy sample where used briefly exceeds total never draws past 100 %.
    expect(usagePercent(110, 100)).toBe(100);
  });
});

describe("formatRelativeTime", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");

  it.each([
    ["2026-01-10T11:59:58Z", "just now"],
    ["2026-01-10T11:59:30Z", "30 seconds ago"],
    ["2026-01-10T11:57:00Z", "3 minutes ago"],
    ["2026-01-10T09:00:00Z", "3 hours ago"],
    ["2026-01-09T12:00:00Z", "yesterday"],
    ["2026-01-03T12:00:00Z", "7 days ago"],
  ])("%s is %s", (iso, expected) => {
    expect(formatRelativeTime(iso, now)).toBe(expected);
  });

  it("says never for an agent that was never seen", () => {
    expect(formatRelativeTime(null, now)).toBe("never");
  });
});

describe("formatDuration", () => {
  it("shows the two largest useful units", () => {
    expect(formatDuration(93_784)).toBe("1d 2h 3m");
    expect(formatDuration(3_720)).toBe("1h 2m");
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(null)).toBe("–");
  });
});
