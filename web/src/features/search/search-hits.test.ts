import { moveActive, searchHits } from "./search-hits";

const results = {
  agents: [{ id: "a1", hostname: "pc-01", alias: "Reception", status: "online" as const, client_name: "Acme", site_name: "HQ" }],
  agents_total: 3,
  clients: [{ id: "c1", name: "Acme" }],
  sites: [{ id: "s1", name: "HQ", client_name: "Acme" }],
  scripts: [{ id: "sc1", name: "Clean disk", category: "" }],
  jobs: [{ id: "j1", name: "Clean disk v1", target: "3 agents", created_at: "2026-01-01T00:00:00Z" }],
};

describe("searchHits", () => {
  it("lists each kind in order, with a way to all matching agents", () => {
    const hits = searchHits(results, " pc ");
    expect(hits.map((hit) => [hit.group, hit.label])).toEqual([
      ["Agents", "Reception"],
      ["Agents", "All 3 matching agents"],
      ["Clients", "Acme"],
      ["Sites", "HQ"],
      ["Scripts", "Clean disk"],
      ["Jobs", "Clean disk v1"],
    ]);
    expect(hits[0]?.detail).toBe("pc-01 · Acme / HQ · online");
    expect(hits[1]?.target).toEqual({ to: "/agents", search: { q: "pc" } });
    expect(hits[3]?.target).toEqual({ to: "/sites/$siteId", params: { siteId: "s1" } });
  });

  it("has nothing before an answer", () => {
    expect(searchHits(undefined, "x")).toEqual([]);
  });

  it("moves through the hits with wrap-around", () => {
    expect(moveActive(0, 3, 1)).toBe(1);
    expect(moveActive(2, 3, 1)).toBe(0);
    expect(moveActive(0, 3, -1)).toBe(2);
    expect(moveActive(0, 0, 1)).toBe(0);
  });
});
