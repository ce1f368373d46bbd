import { actionLabel, refusalOf, targetId, type AuditItem } from "./audit-actions";
import { auditExportHref, auditListQuery, hasAuditFilters, optionalDay, parseAuditSearch } from "./audit-search";

const ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01";

describe("audit search", () => {
  it("keeps valid filters and drops the rest", () => {
    expect(
      parseAuditSearch({ action: " create_client ", actor: "ann@", target_id: ID, from: "2026-03-01", to: "2026-03-31", page: "2" }),
    ).toEqual({ action: "create_client", actor: "ann@", target_id: ID, from: "2026-03-01", to: "2026-03-31", page: 2 });
    expect(parseAuditSearch({ action: "  ", from: "yesterday", to: "2026-02-31", page: "1", other: "x" })).toEqual({});
  });

  it("reads only real calendar days", () => {
    expect(optionalDay("2024-02-29")).toBe("2024-02-29");
    expect(optionalDay("2025-02-29")).toBeUndefined();
    expect(optionalDay("2026-13-01")).toBeUndefined();
    expect(optionalDay("")).toBeUndefined();
  });

  it("asks for whole local days, from the first's midnight to the end of the last", () => {
    expect(auditListQuery({ from: "2026-03-01", to: "2026-03-02", actor: "ann" }, 50)).toEqual({
      actor: "ann",
      from: new Date(2026, 2, 1).toISOString(),
      to: new Date(new Date(2026, 2, 3).getTime() - 1).toISOString(),
      page: 1,
      per_page: 50,
    });
    expect(auditListQuery({ action: "sign_in", page: 3 }, 50)).toEqual({ action: "sign_in", page: 3, per_page: 50 });
  });

  it("exports what the filters show, every page of it", () => {
    const href = auditExportHref({ action: "delete_agent", from: "2026-03-01" }, "jsonl");
    const url = new URL(href, "http://rmm.example.com");
    expect(url.pathname).toBe("/api/v1/audit/export");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      format: "jsonl",
      action: "delete_agent",
      from: new Date(2026, 2, 1).toISOString(),
    });
    expect(auditExportHref({}, "csv")).toBe("/api/v1/audit/export?format=csv");
  });

  it("knows when a filter is set", () => {
    expect(hasAuditFilters({ page: 2 })).toBe(false);
    expect(hasAuditFilters({ target_id: ID })).toBe(true);
  });
});

function item(overrides: Partial<AuditItem>): AuditItem {
  return {
    seq: 1,
    at: "2026-03-01T10:00:00Z",
    actor: "ann@example.com",
    actor_kind: "user",
    action: "create_client",
    target: null,
    details: {},
    hash: "ab",
    ...overrides,
  };
}

describe("audit actions", () => {
  it("names known actions and spells out the others", () => {
    expect(actionLabel("sign_in_failed")).toBe("Sign-in failed");
    expect(actionLabel("totp_confirm")).toBe("Turned on two-factor");
    expect(actionLabel("delete_agent")).toBe("Delete agent");
    expect(actionLabel("some_new_thing")).toBe("Some new thing");
  });

  it("reads what a refusal says about the request it refuses", () => {
    const refusal = item({ action: "request_refused", details: { refers_to: 41, action: "delete_agent", status: 404 } as never });
    expect(refusalOf(refusal)).toEqual({ status: 404, action: "delete_agent", refersTo: 41 });
    expect(refusalOf(item({ action: "request_refused", details: {} }))).toEqual({ status: null, action: null, refersTo: null });
    expect(refusalOf(item({ action: "delete_agent" }))).toBeNull();
  });

  it("takes the id out of a target", () => {
    expect(targetId(`agents/${ID}`)).toBe(ID);
    expect(targetId("users")).toBeNull();
    expect(targetId(null)).toBeNull();
  });
});
