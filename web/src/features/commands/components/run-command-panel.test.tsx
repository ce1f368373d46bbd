import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import type { Command, User } from "@/api/types";
import { TooltipProvider } from "@/components/ui/tooltip";
import { currentUserQueryKey } from "@/lib/auth";
import { LiveEventsProvider } from "@/lib/live-events";
import { RunCommandPanel } from "./run-command-panel";
import { command } from "@/test/fixtures";
import { testUser } from "@/test/render-page";

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

const AGENT_ID = "9d3c1b8e-6a3f-4f0e-8c1d-2b7a5e4f3c21";

const queuedCommand = (overrides: Partial<Command> = {}): Command =>
  command({
    id: "5f0c2e1a-7b4d-4c3e-9a8f-1e2d3c4b5a69",
    agent_id: AGENT_ID,
    status: "queued",
    command: "uptime",
    created_at: new Date().toISOString(),
    expires_at: "2026-12-01T12:00:00Z",
    started_at: null,
    ...overrides,
  });

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function renderPanel(agentOnline = true, role: User["role"] = "technician") {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  const me: User = testUser(role);
  queryClient.setQueryData(currentUserQueryKey, me);
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <LiveEventsProvider session={null}>
        <TooltipProvider>{children}</TooltipProvider>
      </LiveEventsProvider>
    </QueryClientProvider>
  );
  return render(<RunCommandPanel agentId={AGENT_ID} agentOnline={agentOnline} />, { wrapper });
}

async function requestBody(call: number): Promise<unknown> {
  const request = fetchMock.mock.calls[call]?.[0] as Request;
  return JSON.parse(await request.clone().text());
}

describe("RunCommandPanel", () => {
  beforeEach(() => fetchMock.mockReset());

  it("runs the command with Ctrl+Enter and shows it queued while the agent is offline", async () => {
    fetchMock.mockImplementation(async () => json(queuedCommand({ command: "df -h" }), 201));
    renderPanel(false);
    const input = screen.getByLabelText("Command");
    await userEvent.type(input, "df -h");
    await userEvent.keyboard("{Control>}{Enter}{/Control}");

    const terminal = await screen.findByTestId("command-terminal");
    expect(within(terminal).getByTestId("command-status")).toHaveTextContent("queued");
    expect(within(terminal).getByTestId("queued-offline-hint")).toHaveTextContent("runs when it reconnects");
    expect(within(terminal).getByTestId("cancel-command-button")).toBeEnabled();
    const post = fetchMock.mock.calls[0]?.[0] as Request;
    expect(post.method).toBe("POST");
    expect(new URL(post.url).pathname).toBe(`/api/v1/agents/${AGENT_ID}/commands`);
    expect(await requestBody(0)).toEqual({ command_type: "shell", command: "df -h", timeout_seconds: 300, run_as: { context: "system" } });
  });

  it("is not shown to readonly users", () => {
    const { container } = renderPanel(true, "readonly");
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByTestId("run-command-panel")).not.toBeInTheDocument();
  });

  it("shows the server's refusal next to the form", async () => {
    fetchMock.mockResolvedValue(json({ error: { code: "validation", message: "working_dir must be a path of at most 1024 bytes" } }, 422));
    renderPanel();
    await userEvent.type(screen.getByLabelText("Command"), "ls");
    await userEvent.click(screen.getByTestId("run-command-button"));
    expect(await screen.findByTestId("run-command-error")).toHaveTextContent("working_dir must be a path of at most 1024 bytes");
    expect(screen.queryByTestId("command-terminal")).not.toBeInTheDocument();
  });

  it("checks environment names before sending, opening the section that holds the mistake", async () => {
    renderPanel();
    await userEvent.type(screen.getByLabelText("Command"), "env");
    await userEvent.click(screen.getByRole("button", { name: /Arguments, environment/ }));
    await userEvent.type(screen.getByLabelText(/Environment/), "MY-VAR=1");
    await userEvent.click(screen.getByRole("button", { name: /Arguments, environment/ }));
    await userEvent.click(screen.getByTestId("run-command-button"));

    expect(await screen.findByTestId("run-command-env-error")).toHaveTextContent('"MY-VAR" is not a valid variable name');
    expect(screen.getByLabelText(/Environment/)).toHaveAttribute("aria-invalid", "true");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("sends arguments, environment and a script's interpreter", async () => {
    fetchMock.mockImplementation(async () => json(queuedCommand(), 201));
    renderPanel();
    await userEvent.click(screen.getByLabelText("Type"));
    await userEvent.click(await screen.findByRole("option", { name: "Script" }));
    await userEvent.type(screen.getByLabelText("Interpreter"), "bash");
    await userEvent.type(screen.getByLabelText("Script"), 'echo "$1 $GREETING"');
    await userEvent.click(screen.getByRole("button", { name: /Arguments, environment/ }));
    await userEvent.type(screen.getByLabelText(/Arguments/), "world");
    await userEvent.type(screen.getByLabelText(/Environment/), "GREETING=hello");
    await userEvent.clear(screen.getByLabelText("Timeout (s)"));
    await userEvent.type(screen.getByLabelText("Timeout (s)"), "30");
    await userEvent.click(screen.getByTestId("run-command-button"));

    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(await requestBody(0)).toEqual({
      command_type: "script",
      command: 'echo "$1 $GREETING"',
      interpreter: "bash",
      args: ["world"],
      env: { GREETING: "hello" },
      timeout_seconds: 30,
      run_as: { context: "system" },
    });
  });
});
