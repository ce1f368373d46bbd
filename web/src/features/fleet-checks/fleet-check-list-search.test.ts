import { fleetCheckListQuery, hasFleetCheckFilters, parseFleetCheckListSearch } from "./fleet-check-list-search";

const UUID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

describe("parseFleetCheckListSearch", () => {
  it("keeps valid filters and drops the default state", () => {
    expect(parseFleetCheckListSearch({ state: "problem", client_id: UUID, site_id: UUID, q: " disk ", page: "2" })).toEqual({
      client_id: UUID,
      site_id: UUID,
      q: "disk",
      page: 2,
    });
    expect(parseFleetCheckListSearch({ state: "failing" })).toEqual({ state: "failing" });
    expect(parseFleetCheckListSearch({ state: "all" })).toEqual({ state: "all" });
  });

  it("drops what a hand-edited URL gets wrong", () => {
    // Pending checks are not listed, so pending is no state to ask for.
    expect(parseFleetCheckListSearch({ state: "pending", client_id: "acme", site_id: 4, page: "0" })).toEqual({});
  });
});

describe("fleetCheckListQuery", () => {
  it("asks for failing and warning checks by default and for every state with all", () => {
    expect(fleetCheckListQuery({}, 50)).toEqual({ state: "problem", page: 1, per_page: 50 });
    expect(fleetCheckListQuery({ state: "all", page: 3 }, 25)).toEqual({ page: 3, per_page: 25 });
  });

  it("passes the filters", () => {
    expect(fleetCheckListQuery({ state: "warning", client_id: UUID, site_id: UUID, q: "web" }, 50)).toEqual({
      state: "warning",
      client_id: UUID,
      site_id: UUID,
      q: "web",
      page: 1,
      per_page: 50,
    });
  });
});

describe("hasFleetCheckFilters", () => {
  it("is false for the default list only", () => {
    expect(hasFleetCheckFilters({})).toBe(false);
    expect(hasFleetCheckFilters({ page: 2 })).toBe(false);
    expect(hasFleetCheckFilters({ state: "all" })).toBe(true);
    expect(hasFleetCheckFilters({ q: "disk" })).toBe(true);
  });
});
