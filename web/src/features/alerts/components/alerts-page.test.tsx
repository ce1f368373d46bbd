import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { LiveEventsProvider } from "@/lib/live-events";
import { alert, pageOf } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { alertListQuery, type AlertListSearch } from "../alert-list-search";
import { ALERTS_PER_PAGE, alertKeys } from "../api/alerts";
import { AlertsPage } from "./alerts-page";

const OPEN = alert();
const ACKNOWLEDGED = alert({
  id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02",
  title: "Disk C: almost full on db01",
  severity: "warning",
  status: "acknowledged",
  agent_hostname: "db01",
  acknowledged_at: new Date().toISOString(),
  acknowledged_by_email: "ann@example.com",
  acknowledge_note: "ordering a disk",
});

function renderAlerts(search: AlertListSearch, role: "technician" | "readonly" = "technician") {
  const onSearchChange = vi.fn();
  const { alert: _open, ...list } = search;
  renderPage(
    <LiveEventsProvider session={null}>
      <AlertsPage search={search} onSearchChange={onSearchChange} />
    </LiveEventsProvider>,
    { role, seed: [[alertKeys.list(alertListQuery(list, ALERTS_PER_PAGE)), pageOf([OPEN, ACKNOWLEDGED], ALERTS_PER_PAGE)]] },
  );
  return onSearchChange;
}

describe("AlertsPage", () => {
  it("lists alerts with severity, status, agent and who acknowledged", async () => {
    renderAlerts({});
    const rows = await screen.findAllByTestId("alert-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId("severity-badge")).toHaveTextContent("Critical");
    expect(within(rows[0]!).getByRole("link", { name: "web01" })).toHaveAttribute("href", "/agents/a?tab=alerts");
    expect(within(rows[1]!).getByTestId("alert-status-badge")).toHaveTextContent("Acknowledged");
    expect(rows[1]).toHaveTextContent("ann@example.com");
  });

  it("opens an alert's details through the URL, keeping the page", async () => {
    const onSearchChange = renderAlerts({ page: 2, severity: "critical" });
    await userEvent.click((await screen.findAllByTestId("alert-title"))[0]!);
    expect(onSearchChange).toHaveBeenCalledWith({ page: 2, severity: "critical", alert: OPEN.id });
  });

  it("selects unresolved rows for a bulk action", async () => {
    renderAlerts({});
    expect(screen.queryByTestId("alerts-bulk-bar")).toBeNull();
    await userEvent.click(await screen.findByTestId("select-all-alerts"));
    expect(screen.getByTestId("alerts-bulk-bar")).toHaveTextContent("2 selected");
    await userEvent.click(screen.getByRole("button", { name: "Clear selection" }));
    expect(screen.queryByTestId("alerts-bulk-bar")).toBeNull();
  });

  it("clears every filter at once", async () => {
    const onSearchChange = renderAlerts({ status: "all", kind: "offline" });
    await userEvent.click(await screen.findByTestId("clear-alert-filters"));
    expect(onSearchChange).toHaveBeenCalledWith({});
  });

  it("shows no selection or actions to readonly users", async () => {
    renderAlerts({}, "readonly");
    await screen.findAllByTestId("alert-row");
    expect(screen.queryByTestId("select-all-alerts")).toBeNull();
    expect(screen.queryByTestId("alert-row-actions")).toBeNull();
  });
});
