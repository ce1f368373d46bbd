import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Role } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { AUDIT_PER_PAGE, auditKeys } from "../api/audit";
import type { AuditItem, AuditPage as AuditPageAnswer, AuditVerification } from "../audit-actions";
import { auditListQuery, type AuditSearch } from "../audit-search";
import { AuditPage } from "./audit-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

// Radix Select uses pointer capture and scrolling, which jsdom lacks.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

const CLIENT_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01";
const AGENT_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02";

function event(overrides: Partial<AuditItem> & Pick<AuditItem, "seq" | "action">): AuditItem {
  return {
    at: "2026-03-01T10:00:00Z",
    actor: "ann@example.com",
    actor_kind: "user",
    actor_id: "u-ann",
    target: null,
    source_ip: "192.0.2.10",
    details: {},
    hash: `hash-${overrides.seq}`,
    ...overrides,
  };
}

const created = event({
  seq: 42,
  action: "create_client",
  target: "clients",
  details: { method: "POST", path: "/api/v1/clients", request: { name: "Acme" } } as never,
});
const refused = event({
  seq: 41,
  action: "request_refused",
  target: `agents/${AGENT_ID}`,
  details: { refers_to: 40, action: "delete_agent", status: 404 } as never,
});
const byKey = event({
  seq: 39,
  action: "update_client",
  actor: "Nightly sync",
  actor_kind: "api_key",
  actor_id: "k1",
  target: `clients/${CLIENT_ID}`,
});
const pruned = event({ seq: 38, action: "audit_pruned", actor: "gururmm-server", actor_kind: "system", actor_id: null, source_ip: null });
const signedIn = event({ seq: 37, action: "sign_in", target: "users/u-ann", details: { method: "password+totp" } as never });

const INTACT: AuditVerification = { ok: true, checked: 1234, problem: null, last_seq: 1234, pruned_through_seq: 0 };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function answer(items: AuditItem[], total = items.length): AuditPageAnswer {
  return { items, total, page: 1, per_page: AUDIT_PER_PAGE };
}

function renderAudit({
  search = {},
  role = "admin",
  items = [created, refused, byKey, pruned, signedIn],
  total,
  verification = INTACT,
}: { search?: AuditSearch; role?: Role; items?: AuditItem[]; total?: number; verification?: AuditVerification | null } = {}) {
  const onSearchChange = vi.fn();
  renderPage(<AuditPage search={search} onSearchChange={onSearchChange} />, {
    role,
    seed: [
      [auditKeys.events(auditListQuery(search, AUDIT_PER_PAGE)), answer(items, total)],
      ...(verification ? ([[auditKeys.verification, verification]] as [readonly unknown[], unknown][]) : []),
      // No stream: its card (audit-stream-card.test.tsx) shows its form and asks nothing.
      [auditKeys.stream, null],
    ],
  });
  return onSearchChange;
}

async function rowOf(seq: number): Promise<HTMLElement> {
  await screen.findByTestId("audit-table");
  const found = screen.getAllByTestId("audit-row").find((row) => row.getAttribute("data-seq") === String(seq));
  if (!found) throw new Error(`no row for event ${seq}`);
  return found;
}

function requests(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request);
}

describe("AuditPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async () => json(answer([])));
  });

  it("lists who did what to which object, from where, newest first", async () => {
    renderAudit();
    const rows = await screen.findAllByTestId("audit-row");
    expect(rows.map((row) => row.getAttribute("data-seq"))).toEqual(["42", "41", "39", "38", "37"]);
    const createdRow = await rowOf(42);
    expect(within(createdRow).getByTestId("audit-actor")).toHaveTextContent("ann@example.com");
    expect(within(createdRow).queryByTestId("audit-actor-kind")).toBeNull();
    expect(within(createdRow).getByTestId("audit-action")).toHaveTextContent("Create client");
    expect(within(createdRow).getByTestId("audit-target")).toHaveTextContent("clients");
    expect(within(createdRow).getByTestId("audit-source-ip")).toHaveTextContent("192.0.2.10");
    expect(within(await rowOf(37)).getByTestId("audit-action")).toHaveTextContent("Signed in");
    expect(within(await rowOf(39)).getByTestId("audit-actor-kind")).toHaveTextContent("API key");
    const prunedRow = await rowOf(38);
    expect(within(prunedRow).getByTestId("audit-actor-kind")).toHaveTextContent("system");
    expect(within(prunedRow).getByTestId("audit-source-ip")).toHaveTextContent("—");
  });

  it("marks a refused request with its status and names what was refused", async () => {
    renderAudit();
    const refusedRow = await rowOf(41);
    expect(refusedRow).toHaveAttribute("data-refused", "true");
    expect(within(refusedRow).getByTestId("audit-refused")).toHaveTextContent("Refused · 404");
    expect(within(refusedRow).getByTestId("audit-action")).toHaveTextContent("Delete agent");
    expect(await rowOf(42)).toHaveAttribute("data-refused", "false");
  });

  it("opens a row to show its details as formatted JSON, and closes it again", async () => {
    renderAudit();
    const createdRow = await rowOf(42);
    expect(screen.queryByTestId("audit-details")).toBeNull();
    await userEvent.click(within(createdRow).getByRole("button", { name: "Show the details of event 42" }));
    const details = await screen.findByTestId("audit-details");
    expect(within(details).getByTestId("audit-details-json").textContent).toBe(
      JSON.stringify({ method: "POST", path: "/api/v1/clients", request: { name: "Acme" } }, null, 2),
    );
    expect(details).toHaveTextContent("hash-42");
    expect(details).toHaveTextContent("u-ann");
    // The details row sits right under its event.
    expect(createdRow.nextElementSibling).toBe(screen.getByTestId("audit-details-row"));
    await userEvent.click(within(createdRow).getByRole("button", { name: "Hide the details of event 42" }));
    expect(screen.queryByTestId("audit-details")).toBeNull();
  });

  it("says which event a refusal refuses in its details", async () => {
    renderAudit();
    await userEvent.click(within(await rowOf(41)).getByRole("button", { name: "Show the details of event 41" }));
    expect(await screen.findByTestId("audit-details")).toHaveTextContent("refuses event #40");
  });

  it("lists the fields an update changed with their values before and after", async () => {
    const roleChanged = event({
      seq: 50,
      action: "update_role",
      details: {
        request: { name: "Helpdesk", permissions: ["view_agents", "run_scripts"] },
        before: { name: "Helpdesk", permissions: ["view_agents"] },
        changes: { permissions: { before: ["view_agents"], after: ["view_agents", "run_scripts"] } },
      } as never,
    });
    const settings = event({
      seq: 49,
      action: "update_organization",
      details: { before: { name: "MSP", require_second_factor: false }, after: { name: "MSP", require_second_factor: true } } as never,
    });
    renderAudit({ items: [roleChanged, settings, created] });
    await userEvent.click(within(await rowOf(50)).getByRole("button", { name: "Show the details of event 50" }));
    const [permissions, ...others] = within(await screen.findByTestId("audit-changes")).getAllByTestId("audit-change");
    expect(others).toEqual([]);
    expect(permissions).toHaveAttribute("data-field", "permissions");
    expect(permissions).toHaveTextContent('["view_agents"]["view_agents","run_scripts"]');
    await userEvent.click(within(await rowOf(50)).getByRole("button", { name: "Hide the details of event 50" }));

    await userEvent.click(within(await rowOf(49)).getByRole("button", { name: "Show the details of event 49" }));
    const changed = within(await screen.findByTestId("audit-changes")).getAllByTestId("audit-change");
    expect(changed.map((row) => row.getAttribute("data-field"))).toEqual(["require_second_factor"]);
    expect(changed[0]).toHaveTextContent("falsetrue");
    await userEvent.click(within(await rowOf(49)).getByRole("button", { name: "Hide the details of event 49" }));

    // A creation changes no field it could compare.
    await userEvent.click(within(await rowOf(42)).getByRole("button", { name: "Show the details of event 42" }));
    await screen.findByTestId("audit-details");
    expect(screen.queryByTestId("audit-changes")).toBeNull();
  });

  it("filters by action, going back to the first page", async () => {
    const onSearchChange = renderAudit({ search: { actor: "ann", page: 3 } });
    await userEvent.click(await screen.findByRole("combobox", { name: "Filter by action" }));
    await userEvent.click(await screen.findByRole("option", { name: "Create client" }));
    expect(onSearchChange).toHaveBeenCalledWith({ actor: "ann", action: "create_client" });
  });

  it("shows an action from the URL that the menu does not list", async () => {
    renderAudit({ search: { action: "set_site_custom_fields" } });
    expect(await screen.findByRole("combobox", { name: "Filter by action" })).toHaveTextContent("Set site custom fields");
  });

  it("filters by actor as one types, by days, and by the object of a row", async () => {
    const onSearchChange = renderAudit();
    await userEvent.type(await screen.findByRole("searchbox", { name: "Filter by actor" }), "ann@");
    await waitFor(() => expect(onSearchChange).toHaveBeenCalledWith({ actor: "ann@" }));

    await userEvent.type(screen.getByLabelText("From"), "2026-03-01");
    expect(onSearchChange).toHaveBeenLastCalledWith({ from: "2026-03-01" });

    await userEvent.click(within(await rowOf(39)).getByTestId("audit-target"));
    expect(onSearchChange).toHaveBeenLastCalledWith({ target_id: CLIENT_ID });
  });

  it("clears the filters", async () => {
    const onSearchChange = renderAudit({ search: { action: "sign_in", target_id: CLIENT_ID, to: "2026-03-02" } });
    await userEvent.click(await screen.findByRole("button", { name: "Show events about every object" }));
    expect(onSearchChange).toHaveBeenLastCalledWith({ action: "sign_in", to: "2026-03-02" });
    await userEvent.click(screen.getByTestId("clear-audit-filters"));
    expect(onSearchChange).toHaveBeenLastCalledWith({});
  });

  it("pages through the log", async () => {
    const onSearchChange = renderAudit({ search: { action: "sign_in" }, total: 120 });
    expect(await screen.findByTestId("pagination")).toHaveTextContent("1–50 of 120");
    await userEvent.click(screen.getByRole("button", { name: "Next page" }));
    expect(onSearchChange).toHaveBeenCalledWith({ action: "sign_in", page: 2 });
  });

  it("exports the filtered events as CSV or JSON lines through plain links", async () => {
    renderAudit({ search: { action: "delete_agent", actor: "ann", page: 2 } });
    const csv = new URL((await screen.findByRole("link", { name: "Export CSV" })).getAttribute("href")!, "http://rmm.example.com");
    expect(csv.pathname).toBe("/api/v1/audit/export");
    expect(Object.fromEntries(csv.searchParams)).toEqual({ format: "csv", action: "delete_agent", actor: "ann" });
    const jsonl = new URL(screen.getByRole("link", { name: "Export JSON lines" }).getAttribute("href")!, "http://rmm.example.com");
    expect(jsonl.searchParams.get("format")).toBe("jsonl");
    expect(screen.getByRole("link", { name: "Export CSV" })).toHaveAttribute("download");
  });

  it("says when no event matches the filters", async () => {
    renderAudit({ search: { actor: "nobody" }, items: [] });
    expect(await screen.findByTestId("audit-empty")).toHaveTextContent("No event matches these filters");
  });

  it("checks the chain and says it is intact", async () => {
    fetchMock.mockImplementation(async (input) =>
      new URL((input as Request).url).pathname === "/api/v1/audit/verify" ? json(INTACT) : json(answer([])),
    );
    renderAudit({ verification: null });
    expect(await screen.findByTestId("audit-chain-intact")).toHaveTextContent("Chain intact — 1,234 events checked");
    expect(requests().map((request) => new URL(request.url).pathname)).toEqual(["/api/v1/audit/verify"]);
  });

  it("names the event where the chain breaks, in an alert", async () => {
    renderAudit({
      verification: {
        ok: false,
        checked: 16,
        problem: { seq: 17, message: "its hash does not match its contents" },
        last_seq: 30,
        pruned_through_seq: 0,
      },
    });
    const broken = await screen.findByTestId("audit-chain-broken");
    expect(broken).toHaveAttribute("role", "alert");
    expect(broken).toHaveTextContent("Chain broken at event #17");
    expect(broken).toHaveTextContent("its hash does not match its contents");
    expect(broken).toHaveTextContent("16 events checked before the break");
    expect(screen.queryByTestId("audit-chain-intact")).toBeNull();
  });

  it("says where pruning left the chain's start", async () => {
    renderAudit({ verification: { ...INTACT, checked: 1, pruned_through_seq: 1233 } });
    const intact = await screen.findByTestId("audit-chain-intact");
    expect(intact).toHaveTextContent("Chain intact — 1 event checked");
    expect(intact).toHaveTextContent("Events up to #1233 were deleted by retention");
  });

  it.each(["technician", "readonly"] as const)("tells a %s the log is not for their role and asks nothing", async (role) => {
    renderAudit({ role, verification: null });
    expect(await screen.findByTestId("audit-not-allowed")).toHaveTextContent("Not available to your role");
    expect(screen.queryByTestId("audit-table")).toBeNull();
    expect(screen.queryByTestId("audit-integrity")).toBeNull();
    expect(screen.queryByRole("link", { name: "Export CSV" })).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
