import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { LiveEventsProvider } from "@/lib/live-events";
import { agentCheck } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { checkKeys, HISTORY_HOURS } from "../api/checks";
import { AgentChecksTab } from "./agent-checks-tab";

const failing = agentCheck({
  name: "Web port",
  state: "failing",
  consecutive: 3,
  fail_after: 2,
  output: "connect 127.0.0.1:8443: connection refused",
  since: new Date(Date.now() - 2 * 3_600_000).toISOString(),
});
const pending = agentCheck({ name: "Disk", type: "disk", state: "pending", output: "", last_checked_at: null, since: null });

function renderChecks(agentOnline: boolean) {
  return renderPage(
    <LiveEventsProvider session={null}>
      <AgentChecksTab agentId="a" agentOnline={agentOnline} />
    </LiveEventsProvider>,
    {
      seed: [
        [checkKeys.list("a"), { items: [failing, pending] }],
        [
          checkKeys.history("a", "Web port", HISTORY_HOURS),
          { items: [{ name: "Web port", checked_at: failing.since, state: "failing", output: "" }] },
        ],
        [checkKeys.history("a", "Disk", HISTORY_HOURS), { items: [] }],
      ],
    },
  );
}

describe("AgentChecksTab", () => {
  it("lists each check with its state, source, duration and history", async () => {
    renderChecks(true);
    const rows = await screen.findAllByTestId("agent-check-row");
    expect(rows.map((row) => row.dataset.state)).toEqual(["failing", "pending"]);
    expect(rows[0]).toHaveTextContent("Baseline");
    expect(rows[0]).toHaveTextContent("2 h");
    expect(rows[0]).toHaveTextContent("3 in a row, alerts at 2");
    expect(rows[1]).toHaveTextContent("Waiting for the agent's first result.");
    const strip = within(rows[0]!).getByTestId("check-history-strip");
    expect([...strip.children].map((segment) => (segment as HTMLElement).dataset.state)).toEqual(["unknown", "failing"]);
    expect(screen.getByTestId("run-checks-now")).toBeEnabled();
  });

  it("expands a check's last output", async () => {
    renderChecks(true);
    await userEvent.click(await screen.findByRole("button", { name: "Show the output of Web port" }));
    expect(screen.getByTestId("agent-check-output")).toHaveTextContent("connection refused");
  });

  it("says why checks cannot run on an offline agent", async () => {
    renderChecks(false);
    expect(await screen.findByTestId("run-checks-now")).toBeDisabled();
    expect(screen.getByTestId("run-checks-blocker")).toHaveTextContent("offline");
  });
});
