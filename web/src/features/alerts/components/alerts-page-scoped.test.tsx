//! The Alerts page for a user limited to some clients: the server answers only their clients' alerts,
//! and every operation the page calls must be one open to such users (`SCOPED_ROUTES`).
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { LiveEventsProvider } from "@/lib/live-events";
import { CLIENTS, scopedUser } from "@/test/client-scope";
import { alert, pageOf } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { ALERTS_PER_PAGE } from "../api/alerts";
import { AlertsPage } from "./alerts-page";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

/** The alerts' operations open to client-scoped users (`crates/server/src/auth/client_scope.rs`). */
const SCOPED_OPERATIONS: readonly [string, RegExp][] = [
  ["GET", /^\/api\/v1\/alerts$/],
  ["GET", /^\/api\/v1\/alerts\/[^/]+$/],
  ["POST", /^\/api\/v1\/alerts\/[^/]+\/(acknowledge|snooze|unsnooze|resolve)$/],
  ["POST", /^\/api\/v1\/alerts\/bulk$/],
  ["GET", /^\/api\/v1\/clients$/],
  ["GET", /^\/api\/v1\/clients\/[^/]+\/sites$/],
  ["GET", /^\/api\/v1\/auth\/me$/],
];

const OPEN = alert();

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function calls(): string[] {
  return fetchMock.mock.calls.map((call) => {
    const request = call[0] as Request;
    return `${request.method} ${new URL(request.url).pathname}`;
  });
}

function renderScoped(user: User) {
  const result = renderPage(
    <LiveEventsProvider session={null}>
      <AlertsPage search={{}} onSearchChange={vi.fn()} />
    </LiveEventsProvider>,
  );
  result.queryClient.setQueryData(currentUserQueryKey, user);
  return result;
}

describe("AlertsPage for a user limited to some clients", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (request.method === "POST") return json({ ...OPEN, status: "acknowledged", acknowledged_at: new Date().toISOString() });
      if (path === "/api/v1/clients") return json(pageOf(CLIENTS.slice(0, 2), 200));
      return json(pageOf([OPEN], ALERTS_PER_PAGE));
    });
  });

  it("lets a scoped technician acknowledge their alerts, calling only operations open to them", async () => {
    renderScoped(scopedUser(["c1", "c2"], "technician"));
    const [row] = await screen.findAllByTestId("alert-row");
    expect(screen.getByTestId("select-all-alerts")).toBeInTheDocument();
    await userEvent.click(within(row!).getByTestId("alert-row-actions"));
    await userEvent.click(await screen.findByRole("menuitem", { name: "Acknowledge…" }));
    const dialog = await screen.findByTestId("acknowledge-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Acknowledge" }));
    await waitFor(() => expect(calls()).toContain(`POST /api/v1/alerts/${OPEN.id}/acknowledge`));
    for (const call of calls()) {
      const [method, path] = call.split(" ");
      expect(
        SCOPED_OPERATIONS.some(([allowed, pattern]) => allowed === method && pattern.test(path ?? "")),
        call,
      ).toBe(true);
    }
  });

  it("shows a scoped user whose role cannot manage alerts no actions", async () => {
    renderScoped(scopedUser(["c1"], "readonly"));
    await screen.findAllByTestId("alert-row");
    expect(screen.queryByTestId("select-all-alerts")).toBeNull();
    expect(screen.queryByTestId("alert-row-actions")).toBeNull();
  });
});
