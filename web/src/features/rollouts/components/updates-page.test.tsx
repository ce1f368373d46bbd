import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { AgentRelease, AgentReleaseList, Rollout, UpdatePolicy } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { rolloutKeys } from "../api/rollouts";
import { UpdatesPage } from "./updates-page";

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

const CLIENT = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c01";
const ROLLOUT = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4d01";

function release(overrides: Partial<AgentRelease> = {}): AgentRelease {
  const version = overrides.version ?? "1.2.0";
  return {
    product: "gururmm-agent",
    version,
    channel: "stable",
    platform: "linux",
    arch: "x86_64",
    file: `${overrides.product ?? "gururmm-agent"}-${version}-linux-x86_64`,
    sha256: "00",
    size: 3_145_728,
    released_at: "2026-05-01T00:00:00Z",
    expires_at: "2099-01-01T00:00:00Z",
    ...overrides,
  };
}

const RELEASES: AgentReleaseList = {
  configured: true,
  keys_present: true,
  items: [
    release({ version: "1.3.0-beta.1", channel: "beta" }),
    release({ version: "1.2.0" }),
    release({ version: "1.1.0" }),
    release({ product: "gururmm-watchdog", version: "1.2.0" }),
  ],
};

function rollout(overrides: Partial<Rollout> = {}): Rollout {
  return {
    id: ROLLOUT,
    version: "1.2.0",
    state: "halted",
    current_wave: 1,
    max_failure_percent: 10,
    halt_reason: "wave 2: 3 of 10 finished updates failed or were rolled back (30% > 10%)",
    wave_started_at: "2026-05-02T00:00:00Z",
    created_by_email: "lead@example.com",
    created_at: "2026-05-01T00:00:00Z",
    updated_at: "2026-05-02T00:00:00Z",
    eligible: 40,
    up_to_date: 12,
    waves: [
      { percent: 1, state: "passed", waiting: 0, reachable: 0, installed: 1, failed: 0, rolled_back: 0, in_progress: 0 },
      { percent: 10, state: "current", waiting: 2, reachable: 1, installed: 7, failed: 3, rolled_back: 1, in_progress: 0 },
      { percent: 100, state: "pending", waiting: 40, reachable: 30, installed: 0, failed: 0, rolled_back: 0, in_progress: 0 },
    ],
    ...overrides,
  };
}

const COMPLETED = rollout({ id: "old", version: "1.1.0", state: "completed", halt_reason: null, current_wave: 2 });

const CLIENT_POLICY: UpdatePolicy = {
  id: "p1",
  scope: "client",
  target_id: CLIENT,
  channel: "pinned",
  pinned_version: "1.1.0",
  maintenance_only: true,
  updated_at: "2026-05-01T00:00:00Z",
  updated_by_email: "lead@example.com",
};

function sent(method: string, path: string): Request | undefined {
  return fetchMock.mock.calls.map(([input]) => input as Request).find((r) => r.method === method && new URL(r.url).pathname === path);
}

describe("UpdatesPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (request.method === "POST" && path === "/api/v1/rollouts")
        return json({ error: { code: "conflict", message: "another rollout is running or halted" } }, 409);
      if (request.method === "POST" && path === `/api/v1/rollouts/${ROLLOUT}/resume`)
        return json(rollout({ state: "running", halt_reason: null }));
      if (request.method === "PUT" && path === "/api/v1/update-policies") return json({ ...CLIENT_POLICY, channel: "beta" });
      if (path === `/api/v1/clients/${CLIENT}`) return json({ id: CLIENT, name: "Acme" });
      if (path === "/api/v1/clients") return json({ items: [{ id: CLIENT, name: "Acme" }], total: 1, page: 1, per_page: 200 });
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  function seed(
    rollouts: Rollout[],
    policies: UpdatePolicy[] = [],
    releases: AgentReleaseList = RELEASES,
  ): [readonly unknown[], unknown][] {
    return [
      [rolloutKeys.releases, releases],
      [rolloutKeys.list, { items: rollouts.map((r) => ({ ...r, eligible: undefined, up_to_date: undefined })) }],
      ...rollouts.map((r): [readonly unknown[], unknown] => [rolloutKeys.detail(r.id), r]),
      [rolloutKeys.policies, { items: policies }],
    ];
  }

  it("shows the halted rollout's waves and reason, read only, with the releases and the default policy", async () => {
    renderPage(<UpdatesPage />, { role: "readonly", seed: seed([rollout(), COMPLETED]) });
    const active = await screen.findByTestId("active-rollout");
    expect(within(active).getByTestId("active-rollout-version")).toHaveTextContent("1.2.0");
    expect(within(active).getByTestId("rollout-state")).toHaveTextContent("Halted");
    expect(within(active).getByTestId("rollout-halt-reason")).toHaveTextContent("30% > 10%");
    expect(within(active).getByTestId("rollout-eligible")).toHaveTextContent("40");
    expect(within(active).getByTestId("rollout-up-to-date")).toHaveTextContent("12");
    const waves = within(active).getAllByTestId("rollout-wave");
    expect(waves.map((wave) => wave.dataset.state)).toEqual(["passed", "current", "pending"]);
    expect(within(waves[1]!).getByTestId("wave-failed")).toHaveTextContent("3");
    expect(within(waves[1]!).getByTestId("wave-rolled-back")).toHaveTextContent("1");
    expect(within(waves[1]!).getByTestId("wave-reachable")).toHaveTextContent("1");
    // Reading is all a readonly user does.
    expect(screen.queryByTestId("resume-rollout")).toBeNull();
    expect(screen.queryByTestId("cancel-rollout")).toBeNull();
    expect(screen.queryByTestId("start-rollout-button")).toBeNull();
    expect(screen.queryByTestId("add-update-policy")).toBeNull();

    const history = screen.getAllByTestId("rollout-row");
    expect(history.map((row) => row.dataset.version)).toEqual(["1.1.0"]);

    // The agent's builds newest first; the watchdog's only when asked for.
    const versions = () => screen.getAllByTestId("release-row").map((row) => row.dataset.version);
    expect(versions()).toEqual(["1.3.0-beta.1", "1.2.0", "1.1.0"]);
    await userEvent.click(screen.getByTestId("show-watchdog-releases"));
    expect(screen.getAllByTestId("release-row").map((row) => row.dataset.product)).toContain("gururmm-watchdog");

    expect(screen.getByTestId("update-policy-default")).toHaveTextContent("Without a policy: stable, at any time.");
    expect(screen.queryByTestId("releases-banner")).toBeNull();
  });

  it("resumes a halted rollout after confirming", async () => {
    renderPage(<UpdatesPage />, { role: "admin", seed: seed([rollout()]) });
    await userEvent.click(await screen.findByTestId("resume-rollout"));
    await userEvent.click(await screen.findByRole("button", { name: "Resume" }));
    await vi.waitFor(() => expect(sent("POST", `/api/v1/rollouts/${ROLLOUT}/resume`)).toBeDefined());
    // One rollout at a time: starting another waits for this one.
    expect(screen.getByTestId("start-rollout-button")).toBeDisabled();
    expect(screen.getByTestId("start-rollout-blocked")).toHaveTextContent("The rollout of 1.2.0 is halted");
  });

  it("starts a rollout of the newest stable release, checks the waves and shows the server's refusal", async () => {
    renderPage(<UpdatesPage />, { role: "admin", seed: seed([COMPLETED]) });
    await userEvent.click(await screen.findByTestId("start-rollout-button"));
    const dialog = await screen.findByTestId("start-rollout-dialog");
    expect(within(dialog).getByTestId("rollout-version")).toHaveTextContent("1.2.0");
    expect(within(dialog).getByTestId("rollout-summary")).toHaveTextContent("Offers 1.2.0 to 1%, then 10%, 50% and 100%");

    const waves = within(dialog).getByTestId("rollout-waves-input");
    await userEvent.clear(waves);
    await userEvent.type(waves, "5, 50");
    await userEvent.click(within(dialog).getByTestId("rollout-submit"));
    expect(within(dialog).getByTestId("rollout-field-error")).toHaveTextContent("The last wave reaches 100% of the agents.");
    expect(sent("POST", "/api/v1/rollouts")).toBeUndefined();

    await userEvent.type(waves, ", 100");
    await userEvent.click(within(dialog).getByTestId("rollout-submit"));
    await vi.waitFor(() => expect(sent("POST", "/api/v1/rollouts")).toBeDefined());
    expect(await sent("POST", "/api/v1/rollouts")?.json()).toEqual({ version: "1.2.0", waves: [5, 50, 100], max_failure_percent: 10 });
    expect(await within(dialog).findByTestId("rollout-failure")).toHaveTextContent("another rollout is running or halted");
  });

  it("says why no rollout can start without the signed keys", async () => {
    renderPage(<UpdatesPage />, { role: "admin", seed: seed([], [], { configured: true, keys_present: false, items: [] }) });
    expect(await screen.findByTestId("releases-banner")).toHaveAttribute("data-problem", "keys");
    expect(screen.getByTestId("start-rollout-button")).toBeDisabled();
    expect(screen.getByTestId("start-rollout-blocked")).toHaveTextContent("no signed key statement");
    expect(screen.getByTestId("releases-empty")).toBeInTheDocument();
  });

  it("names a client's policy and edits its channel", async () => {
    renderPage(<UpdatesPage />, { role: "admin", seed: seed([], [CLIENT_POLICY]) });
    const row = await screen.findByTestId("update-policy-row");
    expect(await within(row).findByRole("link", { name: "Acme" })).toHaveAttribute("href", `/clients/${CLIENT}`);
    expect(row).toHaveTextContent("Pinned to 1.1.0");
    expect(row).toHaveTextContent("In maintenance windows");

    await userEvent.click(within(row).getByTestId("edit-update-policy"));
    const dialog = await screen.findByTestId("update-policy-dialog");
    expect(within(dialog).getByTestId("update-policy-target")).toHaveTextContent("Acme");
    await userEvent.click(within(dialog).getByTestId("update-policy-channel"));
    await userEvent.click(await screen.findByRole("option", { name: "Beta" }));
    expect(within(dialog).queryByTestId("update-policy-pinned")).toBeNull();
    await userEvent.click(within(dialog).getByTestId("update-policy-submit"));
    await vi.waitFor(() => expect(sent("PUT", "/api/v1/update-policies")).toBeDefined());
    expect(await sent("PUT", "/api/v1/update-policies")?.json()).toEqual({
      scope: "client",
      target_id: CLIENT,
      channel: "beta",
      pinned_version: null,
      maintenance_only: true,
    });
  });

  it("warns that a new policy replaces the client's", async () => {
    renderPage(<UpdatesPage />, { role: "admin", seed: seed([], [CLIENT_POLICY]) });
    await userEvent.click(await screen.findByTestId("add-update-policy"));
    const dialog = await screen.findByTestId("update-policy-dialog");
    await userEvent.click(within(dialog).getByTestId("update-policy-client-select"));
    await userEvent.click(await screen.findByRole("option", { name: "Acme" }));
    expect(within(dialog).getByTestId("update-policy-replaces")).toHaveTextContent("saving replaces it");
  });
});
