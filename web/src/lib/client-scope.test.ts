import {
  MAX_SCOPE_CLIENTS,
  scopeDraft,
  scopePhrase,
  scopeProblem,
  scopeRequest,
  scopeSummary,
  toggleScopeClient,
  WHOLE_ORGANIZATION,
} from "./client-scope";

const NAMES = new Map([
  ["c1", "Acme"],
  ["c2", "Globex"],
  ["c3", "Initech"],
]);

describe("a user's client scope", () => {
  it("starts from what the user holds, named where known", () => {
    expect(scopeDraft(null, NAMES)).toEqual(WHOLE_ORGANIZATION);
    expect(scopeDraft(undefined, NAMES)).toEqual(WHOLE_ORGANIZATION);
    expect(scopeDraft(["c2", "c9"], NAMES)).toEqual({
      mode: "clients",
      clients: [
        { id: "c2", name: "Globex" },
        { id: "c9", name: "Unknown client" },
      ],
    });
  });

  it("adds and removes clients", () => {
    const one = toggleScopeClient({ mode: "clients", clients: [] }, { id: "c1", name: "Acme" });
    expect(one.clients).toEqual([{ id: "c1", name: "Acme" }]);
    expect(toggleScopeClient(one, { id: "c1", name: "Acme" }).clients).toEqual([]);
  });

  it("sends null for the whole organization and for an owner, else the ids", () => {
    const limited = { mode: "clients" as const, clients: [{ id: "c1", name: "Acme" }] };
    expect(scopeRequest(WHOLE_ORGANIZATION, "technician")).toBeNull();
    expect(scopeRequest(limited, "technician")).toEqual(["c1"]);
    expect(scopeRequest(limited, "owner")).toBeNull();
  });

  it("asks for 1 to 1,000 clients, and nothing of an owner", () => {
    expect(scopeProblem({ mode: "clients", clients: [] }, "technician")).toMatch(/at least one client/);
    expect(scopeProblem({ mode: "clients", clients: [] }, "owner")).toBeNull();
    const many = Array.from({ length: MAX_SCOPE_CLIENTS + 1 }, (_, index) => ({ id: `c${index}`, name: `Client ${index}` }));
    expect(scopeProblem({ mode: "clients", clients: many }, "admin")).toBe("Choose at most 1,000 clients.");
    expect(scopeProblem(WHOLE_ORGANIZATION, "technician")).toBeNull();
  });

  it("is shown as all clients, the names of one or two, or a count with every name", () => {
    expect(scopeSummary(null, NAMES)).toEqual({ label: "All clients", names: null });
    expect(scopeSummary(["c2", "c1"], NAMES)).toEqual({ label: "Acme, Globex", names: null });
    expect(scopeSummary(["c3", "c1", "c2"], NAMES)).toEqual({ label: "3 clients", names: ["Acme", "Globex", "Initech"] });
    expect(scopePhrase(null, NAMES)).toBe("the whole organization");
    expect(scopePhrase(["c1", "c2"], NAMES)).toBe("Acme and Globex");
  });
});
