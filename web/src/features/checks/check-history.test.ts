import type { CheckHistoryEntry, CheckState } from "@/api/types";
import { historySegments, runChecksBlocker, stateDuration } from "./check-history";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const HOUR = 3_600_000;
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();
const change = (hoursAgo: number, state: CheckState): CheckHistoryEntry => ({
  name: "Web port",
  checked_at: at(hoursAgo),
  state,
  output: "",
});

describe("historySegments", () => {
  it("fills the window with the current state when it has not changed in it", () => {
    expect(historySegments([], { state: "passing", since: at(48) }, NOW, 24)).toEqual([
      { state: "passing", from: NOW - 24 * HOUR, to: NOW, fraction: 1 },
    ]);
  });

  it("leaves the time before a recent first state unknown", () => {
    const segments = historySegments([], { state: "pending", since: at(6) }, NOW, 24);
    expect(segments.map(({ state, fraction }) => [state, fraction])).toEqual([
      ["unknown", 0.75],
      ["pending", 0.25],
    ]);
  });

  it("cuts the window at each change, oldest first, from the API's newest-first list", () => {
    const changes = [change(2, "passing"), change(6, "failing"), change(18, "passing"), change(30, "warning")];
    const segments = historySegments(changes, { state: "passing", since: at(2) }, NOW, 24);
    expect(segments.map(({ state, fraction }) => [state, Number(fraction.toFixed(4))])).toEqual([
      ["unknown", 0.25],
      ["passing", 0.5],
      ["failing", 0.1667],
      ["passing", 0.0833],
    ]);
    expect(segments.reduce((sum, segment) => sum + segment.fraction, 0)).toBeCloseTo(1);
  });

  it("merges repeated states", () => {
    const changes = [change(1, "failing"), change(3, "failing")];
    expect(historySegments(changes, { state: "failing", since: at(3) }, NOW, 24).map((segment) => segment.state)).toEqual([
      "unknown",
      "failing",
    ]);
  });
});

describe("stateDuration", () => {
  it("says how long the state has lasted", () => {
    expect(stateDuration(null, NOW)).toBeNull();
    expect(stateDuration(new Date(NOW - 30_000).toISOString(), NOW)).toBe("under a minute");
    expect(stateDuration(new Date(NOW - 5 * 60_000).toISOString(), NOW)).toBe("5 min");
    expect(stateDuration(at(3.5), NOW)).toBe("3 h 30 min");
    expect(stateDuration(at(2), NOW)).toBe("2 h");
    expect(stateDuration(at(72), NOW)).toBe("3 days");
    expect(stateDuration(at(-1), NOW)).toBeNull();
  });
});

describe("runChecksBlocker", () => {
  it("explains why checks cannot run now", () => {
    expect(runChecksBlocker(false, 3)).toMatch(/offline/);
    expect(runChecksBlocker(true, 0)).toMatch(/No check/);
    expect(runChecksBlocker(true, 1)).toBeNull();
  });
});
