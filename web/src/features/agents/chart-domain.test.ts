import { chartDomain } from "./chart-domain";

describe("chartDomain", () => {
  const from = "2026-01-01T00:00:00Z";
  const to = "2026-01-01T01:00:00Z";

  it("starts a young agent's charts at its enrollment, less a minute", () => {
    expect(chartDomain(from, to, "2026-01-01T00:50:00Z")).toEqual([Date.parse("2026-01-01T00:49:00Z"), Date.parse(to)]);
  });

  it("keeps the range for an agent older than it, or of unknown age", () => {
    expect(chartDomain(from, to, "2025-12-01T00:00:00Z")).toEqual([Date.parse(from), Date.parse(to)]);
    expect(chartDomain(from, to, undefined)).toEqual([Date.parse(from), Date.parse(to)]);
    expect(chartDomain(from, to, "not a date")).toEqual([Date.parse(from), Date.parse(to)]);
  });
});
