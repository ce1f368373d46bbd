import { screen, within } from "@testing-library/react";
import { LiveEventsProvider } from "@/lib/live-events";
import { overview } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { overviewKeys } from "../api/overview";
import { OverviewPage } from "./overview-page";

describe("OverviewPage", () => {
  it("shows the fleet's counts, each leading to its filtered list", async () => {
    renderPage(
      <LiveEventsProvider session={null}>
        <OverviewPage />
      </LiveEventsProvider>,
      { seed: [[overviewKeys.fleet, overview()]] },
    );
    expect(await screen.findByTestId("overview-agents-offline")).toHaveAttribute("href", "/agents?status=offline");
    expect(screen.getByTestId("overview-agents-total")).toHaveTextContent("12");
    expect(screen.getByTestId("overview-alerts-critical")).toHaveAttribute("href", "/alerts?severity=critical");
    expect(screen.getByTestId("overview-alerts-critical")).toHaveTextContent("3");
    expect(screen.getByTestId("overview-checks-passing")).toHaveTextContent("40");
    expect(screen.getByTestId("overview-checks-failing")).toHaveAttribute("href", "/checks?state=failing");
    expect(screen.getByTestId("overview-checks-failing")).toHaveTextContent("3");
    expect(screen.getByTestId("overview-checks-warning")).toHaveAttribute("href", "/checks?state=warning");
    const client = screen.getByTestId("overview-client-row");
    expect(within(client).getByRole("link", { name: "Acme" })).toHaveAttribute("href", "/alerts?client_id=c");
    expect(client).toHaveTextContent("4");
  });
});
