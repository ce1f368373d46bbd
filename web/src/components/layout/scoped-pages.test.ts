import { availableNavigation, isPageAvailable, isScopedPage, scopeBadgeText } from "./scoped-pages";

describe("pages of a user limited to some clients", () => {
  it("opens the overview, agents, clients, sites and the user's own pages", () => {
    for (const path of ["/", "/agents", "/agents/a1", "/clients", "/clients/c1", "/sites/s1", "/account", "/api-keys", "/clients/"]) {
      expect(isScopedPage(path), path).toBe(true);
    }
  });

  it("refuses every page that calls an operation closed to them", () => {
    for (const path of [
      "/alerts",
      "/checks",
      "/scripts",
      "/scripts/new",
      "/jobs",
      "/jobs/j1",
      "/policies",
      "/check-templates",
      "/notifications",
      "/notifications/deliveries",
      "/maintenance",
      "/custom-fields",
      "/users",
      "/roles",
      "/audit",
      "/organization",
      "/enrollment-requests",
      "/agents/deleted",
      "/deleted-agents/a1",
      "/clients/c1/sites",
      "/somewhere",
    ]) {
      expect(isScopedPage(path), path).toBe(false);
    }
  });

  it("leaves every page to users of the whole organization", () => {
    expect(isPageAvailable("/alerts", null)).toBe(true);
    expect(isPageAvailable("/alerts", undefined)).toBe(true);
    expect(isPageAvailable("/alerts", ["c1"])).toBe(false);
    expect(isPageAvailable("/clients/c1", ["c1"])).toBe(true);
  });

  it("keeps only the navigation entries that work", () => {
    const items = [{ to: "/" }, { to: "/alerts" }, { to: "/agents" }, { to: "/clients" }, { to: "/scripts" }, { to: "/users" }];
    expect(availableNavigation(items, ["c1"]).map((item) => item.to)).toEqual(["/", "/agents", "/clients"]);
    expect(availableNavigation(items, null)).toEqual(items);
  });

  it("counts the clients in the header's note", () => {
    expect(scopeBadgeText(["c1"])).toBe("Limited to 1 client");
    expect(scopeBadgeText(["c1", "c2"])).toBe("Limited to 2 clients");
  });
});
