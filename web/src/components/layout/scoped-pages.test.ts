import { availableNavigation, isAgentTabAvailable, isPageAvailable, isScopedPage, scopeBadgeText } from "./scoped-pages";

describe("pages of a user limited to some clients", () => {
  it("opens the overview, alerts, checks, agents, clients, sites, the user's own pages and the operator's", () => {
    for (const path of [
      "/",
      "/alerts",
      "/alerts/",
      "/checks",
      "/agents",
      "/agents/a1",
      "/clients",
      "/clients/c1",
      "/sites/s1",
      "/sites/s1/discovery",
      "/account",
      "/api-keys",
      "/clients/",
      "/operator",
      "/scripts",
      "/scripts/s1",
      "/jobs",
      "/jobs/j1",
      "/maintenance",
    ]) {
      expect(isScopedPage(path), path).toBe(true);
    }
  });

  it("refuses every page that calls an operation closed to them", () => {
    for (const path of [
      "/alerts/a1",
      "/scripts/new",
      "/policies",
      "/check-templates",
      "/notifications",
      "/notifications/deliveries",
      "/maintenance/m1",
      // Rollouts and update policies are the organization's.
      "/updates",
      "/custom-fields",
      "/users",
      "/roles",
      "/audit",
      "/organization",
      "/single-sign-on",
      "/enrollment-requests",
      "/agents/deleted",
      "/deleted-agents/a1",
      "/clients/c1/sites",
      "/sites/s1/enrollment",
      "/somewhere",
    ]) {
      expect(isScopedPage(path), path).toBe(false);
    }
  });

  it("leaves every page to users of the whole organization", () => {
    expect(isPageAvailable("/policies", null)).toBe(true);
    expect(isPageAvailable("/policies", undefined)).toBe(true);
    expect(isPageAvailable("/policies", ["c1"])).toBe(false);
    expect(isPageAvailable("/alerts", ["c1"])).toBe(true);
    expect(isPageAvailable("/clients/c1", ["c1"])).toBe(true);
  });

  it("keeps only the navigation entries that work", () => {
    const items = [
      { to: "/" },
      { to: "/alerts" },
      { to: "/checks" },
      { to: "/agents" },
      { to: "/clients" },
      { to: "/scripts" },
      { to: "/policies" },
      { to: "/users" },
    ];
    expect(availableNavigation(items, ["c1"]).map((item) => item.to)).toEqual([
      "/",
      "/alerts",
      "/checks",
      "/agents",
      "/clients",
      "/scripts",
    ]);
    expect(availableNavigation(items, null)).toEqual(items);
  });

  it("gives them an agent's checks and alerts tabs, not its effective policy", () => {
    expect(isAgentTabAvailable("checks", ["c1"])).toBe(true);
    expect(isAgentTabAvailable("alerts", ["c1"])).toBe(true);
    expect(isAgentTabAvailable("policy", ["c1"])).toBe(true);
    expect(isAgentTabAvailable("settings", ["c1"])).toBe(false);
    for (const tab of ["checks", "alerts", "policy"]) {
      expect(isAgentTabAvailable(tab, null), tab).toBe(true);
      expect(isAgentTabAvailable(tab, undefined), tab).toBe(true);
    }
  });

  it("counts the clients in the header's note", () => {
    expect(scopeBadgeText(["c1"])).toBe("Limited to 1 client");
    expect(scopeBadgeText(["c1", "c2"])).toBe("Limited to 2 clients");
  });
});
