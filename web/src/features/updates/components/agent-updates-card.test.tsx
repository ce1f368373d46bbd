import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { rootKeys } from "@/api/query-keys";
import type { AgentReleaseList, AgentUpdate, AgentUpdates, AgentWatchdogEvent, User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { scopedUser } from "@/test/client-scope";
import { agentDetail, agentRelease } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { UPDATE_POLL_MS } from "../api/updates";
import { AgentUpdatesCard } from "./agent-updates-card";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const AGENT_ID = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const agent = agentDetail({ id: AGENT_ID, hostname: "web01", agent_version: "0.2.0", status: "online" });

const RELEASES: AgentReleaseList = {
  configured: true,
  keys_present: true,
  items: [
    agentRelease("0.1.0"),
    agentRelease("0.3.0"),
    agentRelease("0.4.0-beta.1"),
    agentRelease("0.5.0", { platform: "windows" }),
    agentRelease("0.9.0", { product: "gururmm-watchdog" }),
  ],
};

function attempt(overrides: Partial<AgentUpdate> = {}): AgentUpdate {
  return {
    id: "u1",
    agent_id: AGENT_ID,
    version: "0.3.0",
    from_version: "0.2.0",
    file: "gururmm-agent-0.3.0-linux-x86_64",
    state: "offered",
    code: null,
    detail: "",
    requested_by_email: "admin@example.com",
    created_at: "2026-05-02T10:00:00Z",
    updated_at: "2026-05-02T10:00:00Z",
    ...overrides,
  };
}

function watchdogEvent(overrides: Partial<AgentWatchdogEvent> = {}): AgentWatchdogEvent {
  return {
    at: "2026-05-02T09:00:00Z",
    kind: "restarted",
    version: null,
    detail: "exit status: 1",
    received_at: "2026-05-02T09:00:05Z",
    ...overrides,
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** The server as a stub: `history` answers the history, `update` the "update now" request. */
function serve({
  history = { updates: [], watchdog_events: [] },
  releases = RELEASES,
  update = (version: string) => json(attempt({ version }), 202),
}: {
  history?: AgentUpdates | (() => AgentUpdates);
  releases?: AgentReleaseList;
  update?: (version: string) => Response;
} = {}) {
  const requests: { method: string; path: string; body?: unknown }[] = [];
  fetchMock.mockImplementation(async (input) => {
    if (!(input instanceof Request)) return json({});
    const path = new URL(input.url).pathname;
    const body: unknown = input.method === "POST" ? await input.json() : undefined;
    requests.push({ method: input.method, path, body });
    if (path === "/api/v1/agent-releases") return json(releases);
    if (path === `/api/v1/agents/${AGENT_ID}/updates`) return json(typeof history === "function" ? history() : history);
    if (input.method === "POST" && path === `/api/v1/agents/${AGENT_ID}/update`) return update((body as { version: string }).version);
    return json({ error: { code: "not_found", message: "not found" } }, 404);
  });
  return requests;
}

function renderCard(role: User["role"] = "admin", shown = agent, user?: User) {
  return renderPage(<AgentUpdatesCard agent={shown} />, { role, seed: user ? [[currentUserQueryKey, user]] : [] });
}

const card = () => screen.findByRole("region", { name: "Agent updates" });

/** "Update now" once the releases are loaded (it is disabled until then). */
async function updateNow(region: HTMLElement) {
  await waitFor(() => expect(within(region).getByRole("button", { name: "Update now" })).toBeEnabled());
  await userEvent.click(within(region).getByRole("button", { name: "Update now" }));
}

describe("AgentUpdatesCard", () => {
  beforeEach(() => fetchMock.mockReset());
  afterEach(() => vi.useRealTimers());

  it("shows a read-only user the versions and the history in words, without Update now", async () => {
    serve({
      history: {
        updates: [
          attempt({ id: "u2", state: "refused", code: "bad_signature", detail: "the signature does not match the content" }),
          attempt({ id: "u1", version: "0.2.0", from_version: "0.1.0", state: "installed", requested_by_email: null }),
        ],
        watchdog_events: [
          watchdogEvent({ kind: "update_installed", version: "0.2.0", detail: "" }),
          watchdogEvent({ kind: "restarted", detail: "exit status: 1" }),
        ],
      },
    });
    renderCard("readonly");
    const region = await card();
    expect(within(region).getByTestId("agent-updates-installed")).toHaveTextContent("0.2.0 (Linux x86_64)");
    const newest = within(region).getByTestId("agent-updates-newest");
    await waitFor(() => expect(newest).toHaveTextContent(/0\.3\.0stable.*Newer than installed/));
    // The beta is newer than the newest stable release, so it is named too; other platforms' and the watchdog's are not.
    expect(newest).toHaveTextContent("0.4.0-beta.1");
    expect(newest).not.toHaveTextContent("0.5.0");

    const latest = await within(region).findByRole("region", { name: "Latest update" });
    expect(latest).toHaveTextContent("0.2.0 → 0.3.0Refused");
    expect(within(latest).getByTestId("agent-updates-progress")).toHaveTextContent("The agent refused 0.3.0 and runs 0.2.0 on.");
    expect(within(latest).getByTestId("agent-updates-reason")).toHaveTextContent("Signature does not match: the release was altered");
    expect(latest).toHaveTextContent("Reported: the signature does not match the content");

    const attempts = within(region).getByRole("region", { name: "Update attempts" });
    const rows = within(attempts).getAllByTestId("agent-update-row");
    expect(rows[0]).toHaveTextContent("0.2.0 → 0.3.0RefusedSignature does not match: the release was alteredadmin@example.com");
    expect(rows[1]).toHaveTextContent("0.1.0 → 0.2.0Installed—a rollout");
    const events = within(region).getAllByTestId("watchdog-event-row");
    expect(events[0]).toHaveTextContent("Update installed0.2.0");
    expect(events[1]).toHaveTextContent("Restarted the agent—exit status: 1");

    expect(within(region).queryByRole("button", { name: "Update now" })).toBeNull();
  });

  it("updates to the newest stable release, preselected, and follows the attempt until it is installed", async () => {
    let history: AgentUpdates = { updates: [], watchdog_events: [] };
    const requests = serve({
      history: () => history,
      update: (version) => {
        history = { ...history, updates: [attempt({ version, state: "offered" })] };
        return json(history.updates[0], 202);
      },
    });
    const { queryClient } = renderCard("admin");
    // The agent's own data, which an installed update makes stale.
    queryClient.setQueryData([...rootKeys.agents, "detail", AGENT_ID], agent);
    const region = await card();
    expect(await within(region).findByText("No update has been requested for this agent.")).toBeInTheDocument();
    await updateNow(region);

    const dialog = await screen.findByRole("dialog", { name: "Update web01" });
    expect(dialog).toHaveTextContent("It runs 0.2.0.");
    expect(within(dialog).queryByTestId("update-offline-note")).toBeNull();
    const picker = within(dialog).getByRole("combobox", { name: "Version" });
    expect(picker).toHaveTextContent("0.3.0 (stable");
    await userEvent.click(picker);
    const options = screen.getAllByRole("option").map((option) => option.textContent);
    // Newer releases only, newest first; the older one and other targets' are not offered.
    expect(options).toHaveLength(2);
    expect(options[0]).toMatch(/^0\.4\.0-beta\.1 \(beta/);
    expect(options[1]).toMatch(/^0\.3\.0 \(stable/);
    await userEvent.keyboard("{Escape}");

    vi.useFakeTimers({ shouldAdvanceTime: true });
    await userEvent.click(within(dialog).getByRole("button", { name: "Update to 0.3.0" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(requests.filter((request) => request.method === "POST")).toEqual([
      { method: "POST", path: `/api/v1/agents/${AGENT_ID}/update`, body: { version: "0.3.0" } },
    ]);

    const underWay = await within(region).findByRole("region", { name: "Update under way" });
    expect(within(underWay).getByRole("status")).toHaveTextContent(
      "Offered 0.3.0 to the agent; waiting for it to check the release's signatures.",
    );
    expect(within(underWay).getByRole("listitem", { current: "step" })).toHaveTextContent("Offered");
    expect(within(region).getByRole("button", { name: "Update now" })).toBeDisabled();
    expect(within(region).getByText("An update to 0.3.0 is under way.")).toBeInTheDocument();

    // The agent reports; the card reads the attempt again by itself.
    history = { ...history, updates: [attempt({ state: "downloading", updated_at: "2026-05-02T10:00:05Z" })] };
    await act(() => vi.advanceTimersByTimeAsync(UPDATE_POLL_MS));
    await waitFor(() => expect(within(underWay).getByRole("listitem", { current: "step" })).toHaveTextContent("Downloading"));

    history = {
      updates: [attempt({ state: "installed", updated_at: "2026-05-02T10:01:00Z" })],
      watchdog_events: [watchdogEvent({ kind: "update_installed", version: "0.3.0", detail: "" })],
    };
    await act(() => vi.advanceTimersByTimeAsync(UPDATE_POLL_MS));
    const latest = await within(region).findByRole("region", { name: "Latest update" });
    expect(within(latest).getByTestId("agent-updates-progress")).toHaveTextContent("0.3.0 is installed and reported healthy.");
    expect(within(latest).queryByRole("listitem", { current: "step" })).toBeNull();
    expect(queryClient.getQueryState([...rootKeys.agents, "detail", AGENT_ID])?.isInvalidated).toBe(true);

    // Final: no more reads of the history.
    const reads = () => requests.filter((request) => request.path.endsWith("/updates")).length;
    const before = reads();
    await act(() => vi.advanceTimersByTimeAsync(UPDATE_POLL_MS * 3));
    expect(reads()).toBe(before);
  });

  it("keeps the server's refusal in the dialog", async () => {
    serve({
      update: () =>
        json(
          {
            error: {
              code: "release_missing",
              message:
                "the releases directory has no gururmm-agent-0.3.0-linux-x86_64.json; publish the release with `gururmm-release sign` (docs/updates.md)",
            },
          },
          409,
        ),
    });
    renderCard("owner");
    await updateNow(await card());
    const dialog = await screen.findByRole("dialog", { name: "Update web01" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Update to 0.3.0" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent(
      "the releases directory has no gururmm-agent-0.3.0-linux-x86_64.json; publish the release",
    );
    expect(screen.getByRole("dialog", { name: "Update web01" })).toBeInTheDocument();
  });

  it("tells that an offline agent gets the update when it connects, and why an agent without watchdog failed", async () => {
    serve({
      history: {
        updates: [
          attempt({
            state: "failed",
            code: "no_watchdog",
            detail: "this agent runs without its watchdog (in the foreground); install it as a service to take updates",
          }),
        ],
        watchdog_events: [],
      },
    });
    renderCard("admin", { ...agent, status: "offline" });
    const region = await card();
    const latest = await within(region).findByRole("region", { name: "Latest update" });
    expect(within(latest).getByTestId("agent-updates-reason")).toHaveTextContent(
      "This agent runs without its watchdog (not installed as a service), so it cannot update itself",
    );
    expect(within(region).getByText(/The watchdog has reported nothing/)).toBeInTheDocument();
    await updateNow(region);
    const dialog = await screen.findByRole("dialog", { name: "Update web01" });
    expect(within(dialog).getByTestId("update-offline-note")).toHaveTextContent("web01 is offline: it gets the update when it connects.");
  });

  it("says the agent is up to date, or that the server publishes no releases", async () => {
    serve({ releases: { ...RELEASES, items: [agentRelease("0.2.0"), agentRelease("0.1.0")] } });
    const { unmount } = renderCard("admin");
    let region = await card();
    await waitFor(() => expect(within(region).getByTestId("agent-updates-newest")).toHaveTextContent("0.2.0stable"));
    expect(within(region).getByTestId("agent-updates-newest")).toHaveTextContent("Up to date");
    expect(within(region).getByRole("button", { name: "Update now" })).toBeDisabled();
    expect(within(region).getByText("No published release is newer.")).toBeInTheDocument();
    unmount();

    serve({ releases: { configured: false, keys_present: false, items: [] } });
    renderCard("admin");
    region = await card();
    await waitFor(() => expect(within(region).getByTestId("agent-updates-newest")).toHaveTextContent(/publishes no agent releases/));
  });

  it("lets a user limited to some clients update their own agent", async () => {
    serve();
    renderCard("admin", agent, scopedUser(["c1"], "admin"));
    const region = await card();
    await within(region).findByText("No update has been requested for this agent.");
    await waitFor(() => expect(within(region).getByTestId("agent-updates-newest")).not.toHaveTextContent(/limited/));
    expect(await within(region).findByRole("button", { name: "Update now" })).toBeInTheDocument();
  });
});
