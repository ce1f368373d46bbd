import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { LiveEventsProvider } from "@/lib/live-events";
import { fleetCheck, pageOf } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { FLEET_CHECKS_PER_PAGE, fleetCheckKeys } from "../api/fleet-checks";
import { fleetCheckListQuery, type FleetCheckListSearch } from "../fleet-check-list-search";
import { FleetChecksPage } from "./fleet-checks-page";

const FAILING = fleetCheck();
const WARNING = fleetCheck({
  agent_id: "b",
  agent_hostname: "db01",
  client_id: "g",
  client_name: "Globex",
  site_id: "p",
  site_name: "Plant",
  name: "Disk C:",
  type: "disk",
  severity: "critical",
  state: "warning",
  consecutive: 3,
  output: "C:\\ 88% used",
});
const ORPHANED = fleetCheck({ agent_id: "b", agent_hostname: "db01", name: "Old backup", type: null, severity: null });

function renderChecks(search: FleetCheckListSearch, items = [FAILING, WARNING, ORPHANED]) {
  const onSearchChange = vi.fn();
  renderPage(
    <LiveEventsProvider session={null}>
      <FleetChecksPage search={search} onSearchChange={onSearchChange} />
    </LiveEventsProvider>,
    { seed: [[fleetCheckKeys.list(fleetCheckListQuery(search, FLEET_CHECKS_PER_PAGE)), pageOf(items, FLEET_CHECKS_PER_PAGE)]] },
  );
  return onSearchChange;
}

describe("FleetChecksPage", () => {
  it("lists each agent's checks with their state, place and time in the state", async () => {
    renderChecks({});
    const rows = await screen.findAllByTestId("fleet-check-row");
    expect(rows.map((row) => row.dataset.state)).toEqual(["failing", "warning", "failing"]);
    const [failing, warning, orphaned] = rows as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(failing).getByTestId("check-state-badge")).toHaveTextContent("Failing");
    expect(within(failing).getByTestId("severity-badge")).toHaveTextContent("Critical");
    expect(within(failing).getByTestId("fleet-check-type")).toHaveTextContent("port");
    expect(failing).toHaveTextContent("connection refused");
    expect(failing).toHaveTextContent("60 in a row");
    expect(failing).toHaveTextContent("1 hour ago");
    expect(within(warning).getByTestId("check-state-badge")).toHaveTextContent("Warning");
    expect(within(warning).getByRole("link", { name: "Globex" })).toHaveAttribute("href", "/clients/g");
    expect(within(warning).getByRole("link", { name: "Plant" })).toHaveAttribute("href", "/sites/p");
    // A check its policy no longer has keeps its state, marked as such.
    expect(orphaned).toHaveTextContent("Not in policy");
    expect(within(orphaned).queryByTestId("severity-badge")).toBeNull();
  });

  it("leads from a check and its agent to the agent's checks tab", async () => {
    renderChecks({});
    const [failing] = await screen.findAllByTestId("fleet-check-row");
    expect(within(failing!).getByRole("link", { name: "Web port" })).toHaveAttribute("href", "/agents/a?tab=checks");
    expect(within(failing!).getByRole("link", { name: "web01" })).toHaveAttribute("href", "/agents/a?tab=checks");
  });

  it("keeps the filters in the URL, going back to the first page when one changes", async () => {
    const onSearchChange = renderChecks({ state: "failing", page: 2 });
    await screen.findAllByTestId("fleet-check-row");
    await userEvent.type(screen.getByRole("searchbox", { name: "Search checks" }), "disk");
    await vi.waitFor(() => expect(onSearchChange).toHaveBeenCalledWith({ state: "failing", q: "disk" }));
  });

  it("clears every filter at once", async () => {
    const onSearchChange = renderChecks({ state: "all", q: "web" });
    await userEvent.click(await screen.findByTestId("clear-fleet-check-filters"));
    expect(onSearchChange).toHaveBeenCalledWith({});
  });

  it("says when nothing is failing or warning", async () => {
    renderChecks({}, []);
    expect(await screen.findByTestId("fleet-checks-empty")).toHaveTextContent("No check is failing or warning");
    expect(screen.queryByTestId("clear-fleet-check-filters")).toBeNull();
  });
});
