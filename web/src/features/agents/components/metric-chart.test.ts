import { METRIC_UNIT_FORMATS } from "./metric-chart";

describe("metric units", () => {
  it("shows memory and disk as amounts and only network as a rate", () => {
    expect(METRIC_UNIT_FORMATS.bytes.tooltip(2 * 1024 ** 3)).toBe("2.0 GiB");
    expect(METRIC_UNIT_FORMATS.bytes.axis(2 * 1024 ** 3)).not.toContain("/s");
    expect(METRIC_UNIT_FORMATS["bytes-per-second"].tooltip(1024)).toMatch(/\/s$/);
    expect(METRIC_UNIT_FORMATS.percent.axis(50)).toBe("50%");
  });
});
