import { describe, expect, it } from "vitest";
import { listsAgents, parseSoftwareSearch, softwareSearchQuery, softwareSummaryQuery } from "./software-search";

describe("software search", () => {
  it("reads only what it knows from the URL", () => {
    expect(parseSoftwareSearch({ name: "openssl", compare: "gte", version: "3.0.7", page: "2", site_id: "nope", extra: 1 })).toEqual({
      name: "openssl",
      compare: "gte",
      version: "3.0.7",
      page: 2,
    });
    expect(parseSoftwareSearch({ compare: "above" })).toEqual({});
  });

  it("asks for a version bound only with a version, below it by default", () => {
    expect(softwareSearchQuery({ name: "openssl", version: "3.0.7" }, 50)).toEqual({
      name: "openssl",
      version_lt: "3.0.7",
      page: 1,
      per_page: 50,
    });
    expect(softwareSearchQuery({ name: "openssl", compare: "gte", version: " 3.0.7 " }, 50)).toMatchObject({ version_gte: "3.0.7" });
    expect(softwareSearchQuery({ name: "openssl", compare: "gte", version: " " }, 50)).not.toHaveProperty("version_gte");
  });

  it("lists agents for a named package and names otherwise", () => {
    expect(listsAgents({ name: "openssl" })).toBe(true);
    expect(listsAgents({ q: "ssl" })).toBe(false);
    expect(softwareSummaryQuery({ q: "ssl", page: 3 }, 50)).toEqual({ q: "ssl", page: 3, per_page: 50 });
  });
});
