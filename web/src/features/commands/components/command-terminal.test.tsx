import { screen } from "@testing-library/react";
import type { Command } from "@/api/types";
import { LiveEventsProvider } from "@/lib/live-events";
import { renderPage } from "@/test/render-page";
import { CommandTerminalView } from "./command-terminal";
import { command as commandFixture } from "@/test/fixtures";

const command = (overrides: Partial<Command>): Command =>
  commandFixture({ status: "completed", command: "make check", exit_code: 0, finished_at: "2026-01-01T00:00:01.250Z", ...overrides });

function renderTerminal(value: Command, role: "technician" | "readonly" = "technician") {
  return renderPage(
    <LiveEventsProvider session={null}>
      <CommandTerminalView command={value} agentOnline />
    </LiveEventsProvider>,
    { role },
  );
}

describe("CommandTerminalView", () => {
  it("names a registry operation in words", async () => {
    const operation = { operation: "delete_value", hive: "HKCU", path: "Software\\Contoso", name: "" };
    renderTerminal(command({ command_type: "registry", command: JSON.stringify(operation), stdout: '{"answer":"done"}' }));
    expect(await screen.findByText("Registry: delete_value HKCU\\Software\\Contoso (Default)")).toBeInTheDocument();
  });

  it("shows stdout, then stderr in red, with exit code and duration", async () => {
    renderTerminal(command({ status: "failed", exit_code: 2, stdout: "compiling\n", stderr: "error: missing file\n" }));
    const output = await screen.findByTestId("command-output");
    expect(output).toHaveTextContent("compiling error: missing file");
    expect(output.querySelector('[data-stream="stderr"]')).toHaveClass("text-red-400");
    expect(output.querySelector('[data-stream="stdout"]')).not.toHaveClass("text-red-400");
    expect(screen.getByTestId("command-exit-code")).toHaveTextContent("2");
    expect(screen.getByTestId("command-duration")).toHaveTextContent("250 ms");
    expect(screen.queryByTestId("cancel-command-button")).not.toBeInTheDocument();
  });

  it("says when output was truncated and why a command failed to start", async () => {
    renderTerminal(command({ status: "failed", exit_code: null, stdout: "x", stdout_truncated: true, error: "pwsh not found" }));
    expect(await screen.findByTestId("output-truncated")).toHaveTextContent("stdout went over the server's limit");
    expect(screen.getByTestId("command-error")).toHaveTextContent("pwsh not found");
  });

  it("offers cancel while running, but not to readonly users", async () => {
    const running = command({ status: "running", exit_code: null, finished_at: null, stdout: "step 1\n" });
    const { unmount } = renderTerminal(running);
    expect(await screen.findByTestId("cancel-command-button")).toHaveTextContent("Cancel");
    unmount();
    renderTerminal(running, "readonly");
    await screen.findByTestId("command-output");
    expect(screen.queryByTestId("cancel-command-button")).not.toBeInTheDocument();
  });

  it("shows that a cancel was asked for and is under way", async () => {
    renderTerminal(command({ status: "running", exit_code: null, finished_at: null, cancel_requested: true }));
    const cancel = await screen.findByTestId("cancel-command-button");
    expect(cancel).toHaveTextContent("Cancelling…");
    expect(cancel).toBeDisabled();
  });

  it("shows the environment, values hidden from this user as a lock and hidden, never the placeholder", async () => {
    renderTerminal(command({ env: { API_KEY: "********", LANG: "********" }, secrets_hidden: true }));
    const env = await screen.findByTestId("command-env");
    expect(env).toHaveTextContent("API_KEY=hidden");
    expect(env).toHaveTextContent("LANG=hidden");
    expect(env).not.toHaveTextContent("********");
    expect(screen.getAllByTestId("hidden-value")[0]).toHaveAttribute("title", "You need the View secrets permission to see this value");
  });

  it("shows the environment's values to a user who may read them", async () => {
    renderTerminal(command({ env: { LANG: "C" } }));
    expect(await screen.findByTestId("command-env")).toHaveTextContent("LANG=C");
    expect(screen.queryByTestId("hidden-value")).not.toBeInTheDocument();
  });
});
