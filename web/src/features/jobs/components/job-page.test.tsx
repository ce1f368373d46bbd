import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { JobDetail } from "@/api/types";
import { LiveEventsProvider } from "@/lib/live-events";
import { renderPage } from "@/test/render-page";
import { jobKeys } from "../api/jobs";
import { JobPage } from "./job-page";

function job(overrides: Partial<JobDetail> = {}): JobDetail {
  return {
    id: "j1",
    name: "Clean temp v3",
    script_id: "s1",
    script_version: 3,
    target: "site HQ of Acme",
    // The document types the values as a free-form object, which the generator makes empty.
    parameters: { Days: 7 } as unknown as JobDetail["parameters"],
    created_by_email: "tech@example.com",
    created_at: "2026-01-01T00:00:00Z",
    status: "done",
    counts: { total: 2, queued: 0, running: 0, completed: 1, failed: 1 },
    agents: [
      {
        command_id: "c1",
        agent_id: "a1",
        agent_deleted: false,
        hostname: "pc-01",
        status: "completed",
        exit_code: 0,
        started_at: "2026-01-01T00:00:01Z",
        finished_at: "2026-01-01T00:00:03Z",
      },
      {
        command_id: "c2",
        agent_id: "a2",
        agent_deleted: false,
        hostname: "pc-02",
        status: "failed",
        exit_code: 2,
        error: "disk full",
        started_at: "2026-01-01T00:00:01Z",
        finished_at: "2026-01-01T00:00:02Z",
      },
    ],
    ...overrides,
  };
}

function renderJob(detail: JobDetail, role: "technician" | "readonly" = "technician", search = {}) {
  const onSearchChange = vi.fn();
  const result = renderPage(
    <LiveEventsProvider session={null}>
      <JobPage
        jobId="j1"
        search={search}
        onSearchChange={onSearchChange}
        onRerun={() => undefined}
        renderCommandStatus={(status) => <span data-testid="status-from-route">{status}</span>}
        renderCommandOutput={(commandId) => <div data-testid="output-from-route">output of {commandId}</div>}
      />
    </LiveEventsProvider>,
    { role, seed: [[jobKeys.detail("j1"), detail]] },
  );
  return { ...result, onSearchChange };
}

describe("JobPage", () => {
  it("shows the counts, the parameters and each agent's result", async () => {
    renderJob(job());
    const rows = await screen.findAllByTestId("job-agent-row");
    expect(rows.map((row) => row.getAttribute("data-hostname"))).toEqual(["pc-01", "pc-02"]);
    expect(within(rows[1]!).getByText("disk full")).toBeInTheDocument();
    expect(within(rows[0]!).getByText("2.0 s")).toBeInTheDocument();
    expect(screen.getByTestId("job-count-failed")).toHaveAttribute("data-count", "1");
    expect(screen.getByTestId("job-parameters")).toHaveTextContent("Days=7");
    expect(screen.getByRole("progressbar", { name: "2 of 2 finished" })).toBeInTheDocument();
  });

  it("shows a secret parameter's value as hidden with a lock, not its placeholder", async () => {
    renderJob(job({ parameters: { Password: "********", Days: 7 } as unknown as JobDetail["parameters"] }));
    const parameters = await screen.findByTestId("job-parameters");
    expect(parameters).toHaveTextContent("Password=hidden");
    expect(parameters).toHaveTextContent("Days=7");
    expect(parameters).not.toHaveTextContent("********");
    expect(within(parameters).getByTestId("hidden-value")).toHaveAttribute("title", expect.stringContaining("not shown"));
  });

  it("shows an agent's output under its row, several at once, and names the last opened in the URL", async () => {
    const { onSearchChange } = renderJob(job());
    expect(screen.queryByTestId("job-agent-output")).not.toBeInTheDocument();
    await userEvent.click((await screen.findAllByTestId("job-agent-row"))[1]!);
    expect(onSearchChange).toHaveBeenLastCalledWith({ command: "c2" });
    await userEvent.click(screen.getByRole("button", { name: "Show the output on pc-01" }));
    expect(onSearchChange).toHaveBeenLastCalledWith({ command: "c1" });
    const outputs = screen.getAllByTestId("job-agent-output");
    expect(outputs.map((row) => row.textContent)).toEqual(["output of c1", "output of c2"]);
    await userEvent.click(screen.getByRole("button", { name: "Hide the output on pc-02" }));
    expect(screen.getAllByTestId("job-agent-output").map((row) => row.textContent)).toEqual(["output of c1"]);
  });

  it("starts with the output named in the URL open", async () => {
    renderJob(job(), "technician", { command: "c2" });
    const output = await screen.findByTestId("job-agent-output");
    expect(within(output).getByTestId("output-from-route")).toHaveTextContent("output of c2");
    expect(screen.getByRole("button", { name: "Hide the output on pc-02" })).toHaveAttribute("aria-expanded", "true");
  });

  it("opens the output of a one-agent job at once", async () => {
    const detail = job();
    renderJob({ ...detail, agents: [detail.agents[0]!], counts: { total: 1, queued: 0, running: 0, completed: 1, failed: 0 } });
    expect(await screen.findByTestId("job-agent-output")).toHaveTextContent("output of c1");
  });

  it("downloads every result as CSV from the server, for readonly users too", async () => {
    renderJob(job(), "readonly");
    expect(await screen.findByTestId("export-csv-button")).toHaveAttribute("href", "/api/v1/jobs/j1/results.csv");
    expect(screen.getByRole("link", { name: "Export CSV" })).toHaveAttribute("download");
  });

  it("marks a deleted agent and links it to its deleted-agent page instead of the agent page", async () => {
    const detail = job();
    renderJob({ ...detail, agents: [detail.agents[0]!, { ...detail.agents[1]!, agent_deleted: true }] });
    const rows = await screen.findAllByTestId("job-agent-row");
    expect(within(rows[0]!).queryByTestId("job-agent-deleted-badge")).not.toBeInTheDocument();
    expect(within(rows[0]!).getByRole("link", { name: "pc-01" })).toHaveAttribute("href", "/agents/a1");
    expect(within(rows[1]!).getByTestId("job-agent-deleted-badge")).toHaveTextContent("deleted");
    expect(within(rows[1]!).getByRole("link", { name: "pc-02" })).toHaveAttribute("href", "/deleted-agents/a2");
  });

  it("offers Re-run failed only when an agent failed, and never to readonly users", async () => {
    const { unmount } = renderJob(job());
    expect(await screen.findByTestId("rerun-failed-button")).toBeEnabled();
    unmount();

    const second = renderJob(job({ counts: { total: 2, queued: 0, running: 0, completed: 2, failed: 0 } }));
    expect(await screen.findByTestId("rerun-failed-button")).toBeDisabled();
    second.unmount();

    renderJob(job(), "readonly");
    await screen.findAllByTestId("job-agent-row");
    expect(screen.queryByTestId("rerun-failed-button")).not.toBeInTheDocument();
  });
});
