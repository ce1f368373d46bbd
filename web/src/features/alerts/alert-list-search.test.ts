import { alertListQuery, hasAlertFilters, parseAlertListSearch } from "./alert-list-search";

const UUID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

describe("parseAlertListSearch", () => {
  it("keeps valid filters and drops the default status", () => {
    expect(
      parseAlertListSearch({ status: "unresolved", severity: "critical", kind: "check", client_id: UUID, q: " disk ", page: "3" }),
    ).toEqual({ severity: "critical", kind: "check", client_id: UUID, q: "disk", page: 3 });
    expect(parseAlertListSearch({ status: "resolved" })).toEqual({ status: "resolved" });
    expect(parseAlertListSearch({ status: "all" })).toEqual({ status: "all" });
  });

  it("drops what a hand-edited URL gets wrong", () => {
    expect(
      parseAlertListSearch({ status: "closed", severity: "fatal", kind: "smoke", client_id: "acme", site_id: 4, page: "0", alert: "x" }),
    ).toEqual({});
  });

  it("keeps the open alert", () => {
    expect(parseAlertListSearch({ alert: UUID.toUpperCase() })).toEqual({ alert: UUID });
  });
});

describe("alertListQuery", () => {
  it("asks for unresolved alerts by default and for every status with all", () => {
    expect(alertListQuery({}, 50)).toEqual({ status: "unresolved", page: 1, per_page: 50 });
    expect(alertListQuery({ status: "all", page: 2 }, 25)).toEqual({ page: 2, per_page: 25 });
  });

  it("passes the filters and the agent", () => {
    expect(alertListQuery({ status: "open", severity: "warning", site_id: UUID, q: "web" }, 50, "agent-1")).toEqual({
      status: "open",
      severity: "warning",
      site_id: UUID,
      agent_id: "agent-1",
      q: "web",
      page: 1,
      per_page: 50,
    });
  });
});

describe("hasAlertFilters", () => {
  it("is false for the default view and an open alert", () => {
    expect(hasAlertFilters({})).toBe(false);
    expect(hasAlertFilters({ alert: UUID, page: 2 })).toBe(false);
    expect(hasAlertFilters({ status: "resolved" })).toBe(true);
  });
});
