import { snoozeUntil, toDateTimeLocal } from "./snooze";

const NOW = Date.parse("2026-03-01T12:00:00Z");

describe("snoozeUntil", () => {
  it("adds a preset's hours to now", () => {
    expect(snoozeUntil("1h", "", NOW)).toEqual({ ok: true, until: "2026-03-01T13:00:00.000Z" });
    expect(snoozeUntil("24h", "ignored", NOW)).toEqual({ ok: true, until: "2026-03-02T12:00:00.000Z" });
  });

  it("reads a custom local time in the future", () => {
    const inTwoDays = toDateTimeLocal(NOW + 2 * 86_400_000);
    const result = snoozeUntil("custom", inTwoDays, NOW);
    expect(result).toEqual({ ok: true, until: new Date(inTwoDays).toISOString() });
  });

  it("refuses an empty, past or too distant custom time", () => {
    expect(snoozeUntil("custom", "", NOW)).toEqual({ ok: false, message: "Pick a date and time." });
    expect(snoozeUntil("custom", toDateTimeLocal(NOW - 60_000), NOW)).toEqual({ ok: false, message: "Pick a time in the future." });
    expect(snoozeUntil("custom", toDateTimeLocal(NOW + 31 * 86_400_000), NOW)).toEqual({ ok: false, message: "At most 30 days ahead." });
  });
});
