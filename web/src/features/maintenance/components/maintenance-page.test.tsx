import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { maintenanceWindow } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { maintenanceKeys } from "../api/maintenance";
import { AgentMaintenanceBanner, TargetMaintenanceBanner } from "./maintenance-banner";
import { MaintenancePage } from "./maintenance-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

// Radix Select uses pointer capture and scrolling, which jsdom lacks.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

const ACTIVE = maintenanceWindow();
const PLANNED = maintenanceWindow({
  id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4e02",
  scope: "agent",
  target_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a09",
  target_name: "db01",
  active: false,
  weekly: true,
  reason: "Patch night",
});
const CLIENT = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c09";

describe("MaintenancePage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (request.method === "POST" && path === "/api/v1/maintenance-windows") {
        return json({ error: { code: "invalid", message: "ends_at: the window is already over" } }, 422);
      }
      if (path === "/api/v1/clients") return json({ items: [{ id: CLIENT, name: "Acme" }], total: 1, page: 1, per_page: 200 });
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  it("lists windows with their target, times and whether they are active", async () => {
    renderPage(<MaintenancePage />, { role: "readonly", seed: [[maintenanceKeys.list, { items: [ACTIVE, PLANNED] }]] });
    const rows = await screen.findAllByTestId("maintenance-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByRole("link", { name: "HQ" })).toHaveAttribute("href", `/sites/${ACTIVE.target_id}`);
    expect(within(rows[0]!).getByTestId("maintenance-active")).toHaveTextContent("Active");
    expect(rows[1]).toHaveTextContent("every week");
    expect(rows[1]).toHaveTextContent("Patch night");
    expect(screen.queryByTestId("delete-maintenance")).toBeNull();
  });

  it("plans a client window and puts the server's 422 on its field", async () => {
    renderPage(<MaintenancePage />, { seed: [[maintenanceKeys.list, { items: [] }]] });
    await userEvent.click((await screen.findAllByTestId("new-maintenance-button"))[0]!);
    const dialog = await screen.findByTestId("maintenance-dialog");
    await userEvent.click(within(dialog).getByTestId("maintenance-submit"));
    expect(within(dialog).getByTestId("maintenance-field-error")).toHaveTextContent("Pick the site.");

    await userEvent.click(within(dialog).getByTestId("maintenance-scope-client"));
    await userEvent.click(within(dialog).getByTestId("maintenance-client-select"));
    await userEvent.click(await screen.findByRole("option", { name: "Acme" }));
    await userEvent.type(within(dialog).getByLabelText("Reason"), "Office move");
    await userEvent.click(within(dialog).getByTestId("maintenance-submit"));

    const sent = fetchMock.mock.calls.map(([input]) => input as Request).find((request) => request.method === "POST");
    expect(await sent?.json()).toMatchObject({ scope: "client", target_id: CLIENT, weekly: false, reason: "Office move" });
    const error = await within(dialog).findByTestId("maintenance-field-error");
    expect(error).toHaveAttribute("data-field", "ends_at");
    expect(error).toHaveTextContent("the window is already over");
  });
});

describe("maintenance banners", () => {
  it("shows an agent's active windows with the reason", async () => {
    renderPage(<AgentMaintenanceBanner agentId="a" />, { seed: [[maintenanceKeys.agent("a"), { items: [ACTIVE] }]] });
    const banner = await screen.findByTestId("maintenance-banner");
    expect(banner).toHaveTextContent("Under maintenance until");
    expect(banner).toHaveTextContent(": Switch replacement");
    expect(banner).toHaveTextContent("(site HQ)");
  });

  it("shows a site's banner only for an active window on it", async () => {
    const { unmount } = renderPage(<TargetMaintenanceBanner scope="site" targetId={ACTIVE.target_id} />, {
      seed: [[maintenanceKeys.list, { items: [ACTIVE, PLANNED] }]],
    });
    expect(await screen.findByTestId("maintenance-banner")).toHaveTextContent("Switch replacement");
    unmount();
    renderPage(
      <>
        <h1>Client</h1>
        <TargetMaintenanceBanner scope="client" targetId={ACTIVE.target_id} />
      </>,
      { seed: [[maintenanceKeys.list, { items: [ACTIVE] }]] },
    );
    await screen.findByRole("heading", { name: "Client" });
    expect(screen.queryByTestId("maintenance-banner")).toBeNull();
  });
});
