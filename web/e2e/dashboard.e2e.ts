//! End-to-end flow of the dashboard against a real, already running GuruRMM server with one live agent.
//! The caller starts server and agent; this test only drives Debian's Chromium through playwright-core.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, email, expectOk, LIVE_TIMEOUT_MS, logIn, PROMPT_MS, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
beforeAll(() => {
  page = session.page;
});

describe("dashboard against a live server", () => {
  it("logs in, onboards a client and site with enrollment keys, shows the live agent with charts, runs a command and a script on it, rejects a claim on its identity, deletes a throwaway agent and keeps its history", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const clientName = `E2E client ${unique}`;
    const siteName = `E2E site ${unique}`;

    await step("log in", async () => {
      await logIn(page);
    });

    await step("create a client", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clients" }).click();
      await page.getByRole("heading", { name: "Clients", exact: true }).waitFor();
      await page.getByRole("button", { name: "New client" }).first().click();
      await page.getByLabel("Client name").fill(clientName);
      await page.getByRole("button", { name: "Create client" }).click();
      await page.getByTestId("client-name").filter({ hasText: clientName }).waitFor();
    });

    let siteId = "";
    await step("create a site", async () => {
      await page.getByRole("button", { name: "New site" }).click();
      await page.getByLabel("Site name").fill(siteName);
      await page.getByRole("button", { name: "Create site" }).click();
      await page.getByTestId("site-name").filter({ hasText: siteName }).waitFor();
      siteId = /\/sites\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1] ?? "";
      expect(siteId).not.toBe("");
    });

    await step("generate the enrollment key", async () => {
      await page.getByTestId("generate-key-button").click();
      const key = (await page.getByTestId("enrollment-key-value").textContent())?.trim() ?? "";
      expect(key.length).toBeGreaterThan(8);
      const command = (await page.getByTestId("install-command").textContent()) ?? "";
      // The key goes into a private file, never on the agent's command line.
      expect(command).toContain(`f=$(mktemp) && echo '${key}' > "$f" && sudo gururmm-agent install`);
      expect(command).toContain('--enroll-key-file "$f"');
      expect(command).not.toContain(`--enroll-key ${key}`);
      expect(command).toContain(`--server ${new URL(baseUrl).origin}`);
      // The suite's server is plain HTTP on loopback, which the agent accepts only when told to.
      expect(command.includes("--allow-insecure-http")).toBe(new URL(baseUrl).protocol === "http:");
    });

    const oneTimeLabel = `E2E one-time ${unique}`;
    const oneTimeRow = page.locator(`[data-testid="enrollment-key-row"][data-label="${oneTimeLabel}"]`);

    await step("create a labelled one-time key and see it and its install command once", async () => {
      await page.getByTestId("new-enrollment-key-button").click();
      const dialog = page.getByTestId("new-enrollment-key-dialog");
      await dialog.getByLabel("Label", { exact: true }).fill(oneTimeLabel);
      await dialog.getByTestId("enrollment-key-uses-select").click();
      await page.getByRole("option", { name: "One-time (1 agent)" }).click();
      expect(await dialog.getByTestId("new-enrollment-key-summary").textContent()).toBe("Enrolls a single agent and never expires.");
      await dialog.getByTestId("create-enrollment-key-button").click();
      const key = (await dialog.getByTestId("enrollment-key-value").textContent())?.trim() ?? "";
      expect(key.length).toBeGreaterThan(8);
      expect(await dialog.getByTestId("install-command").textContent()).toContain(
        `f=$(mktemp) && echo '${key}' > "$f" && sudo gururmm-agent install`,
      );
      expect(await dialog.getByTestId("shown-once-note").textContent()).toContain("shown only this once");
      expect(await dialog.getByTestId("enrollment-key-limits").textContent()).toContain("One-time key");

      // The Windows installer carrying this key: a link that downloads an MSI without signing in.
      await dialog.getByTestId("create-installer-link-button").click();
      const link = (await dialog.getByTestId("installer-link").textContent())?.trim() ?? "";
      expect(link.startsWith(`${new URL(baseUrl).origin}/api/v1/installers/`)).toBe(true);
      expect(await dialog.getByTestId("installer-download").getAttribute("href")).toBe(link);
      expect(await dialog.getByTestId("installer-link-expiry").textContent()).toContain("expires in 1 hour");
      // Fetched outside the browser, with no session: the link is the only credential.
      const download = await fetch(link);
      expect(download.status).toBe(200);
      expect(download.headers.get("content-type")).toBe("application/x-msi");
      expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="gururmm-agent-[a-z0-9-]+\.msi"$/);
      const msi = new Uint8Array(await download.arrayBuffer());
      expect([...msi.subarray(0, 8)]).toEqual([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

      await dialog.getByTestId("close-created-key-button").click();
      await dialog.waitFor({ state: "detached" });
      // Closed means gone: the page no longer holds the key anywhere.
      expect(await page.getByText(key).count()).toBe(0);
    });

    await step("see the one-time key in the list, active and unused", async () => {
      await oneTimeRow.locator('[data-testid="enrollment-key-state"][data-state="active"]').waitFor();
      expect(await oneTimeRow.getByTestId("enrollment-key-uses").textContent()).toBe("0 of 1 (one-time)");
      expect(await oneTimeRow.getByTestId("enrollment-key-expiry").textContent()).toBe("never");
      expect(await oneTimeRow.textContent()).toContain(`by ${email}`);
    });

    await step("revoke the one-time key", async () => {
      await oneTimeRow.getByTestId("revoke-enrollment-key-button").click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain(`Revoke "${oneTimeLabel}"?`);
      await confirm.getByRole("button", { name: "Revoke key" }).click();
      await confirm.waitFor({ state: "detached" });
      await oneTimeRow.locator('[data-testid="enrollment-key-state"][data-state="revoked"]').waitFor();
      expect(await oneTimeRow.getByTestId("enrollment-key-state").textContent()).toBe("Revoked");
      expect(await oneTimeRow.getByTestId("revoke-enrollment-key-button").count()).toBe(0);
      // Revoking one key leaves the site key generated above working.
      expect(await page.locator('[data-testid="enrollment-key-row"][data-state="active"]').count()).toBe(1);
    });

    await step("see the live agent online in the agents list", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
      await page.getByRole("searchbox", { name: "Search agents" }).fill(agentHostname);
      await page.waitForURL((url) => url.searchParams.get("q") === agentHostname);
      // Several agents may share a hostname (re-enrolled machines); any online one will do.
      const onlineRow = page
        .locator(`[data-testid="agent-row"][data-hostname="${agentHostname}"]`)
        .filter({ has: page.locator('[data-testid="agent-status"][data-status="online"]') })
        .first();
      await onlineRow.waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(await onlineRow.getByTestId("agent-status").textContent()).toBe("online");
    });

    await step("open the agent page with charts and top processes", async () => {
      await page
        .locator(`[data-testid="agent-row"][data-hostname="${agentHostname}"]`)
        .filter({ has: page.locator('[data-testid="agent-status"][data-status="online"]') })
        .first()
        .getByTestId("agent-link")
        .click();
      await page.getByTestId("agent-hostname").filter({ hasText: agentHostname }).waitFor();
      await page.getByTestId("agent-status").filter({ hasText: "online" }).first().waitFor();
      // A chart has rendered data once its curve has a drawn path; new samples arrive live.
      await page.waitForFunction(
        () =>
          ["chart-cpu", "chart-memory"].every((testId) =>
            Array.from(document.querySelectorAll(`[data-testid="${testId}"] svg path.recharts-curve`)).some(
              (path) => (path.getAttribute("d") ?? "").length > 10,
            ),
          ),
        undefined,
        { timeout: LIVE_TIMEOUT_MS },
      );
      const topCpuRows = page.getByTestId("top-cpu-table").locator("tbody tr");
      await topCpuRows.first().waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(await topCpuRows.count()).toBeGreaterThan(0);
      await page.getByTestId("top-memory-table").locator("tbody tr").first().waitFor();
    });

    await step("run a shell command on the agent and watch its output", async () => {
      const panel = page.getByTestId("run-command-panel");
      await panel.getByTestId("command-input").fill("echo gururmm-e2e-$((40+2)); echo to-stderr 1>&2");
      await panel.getByTestId("command-input").press("Control+Enter");
      const terminal = panel.getByTestId("command-terminal");
      // The expansion proves the shell ran the text, not that the page echoed it back.
      await terminal.locator('[data-stream="stdout"]', { hasText: "gururmm-e2e-42" }).first().waitFor({ timeout: PROMPT_MS });
      await terminal.locator('[data-stream="stderr"]', { hasText: "to-stderr" }).first().waitFor({ timeout: PROMPT_MS });
      await terminal.locator('[data-testid="command-status"][data-status="completed"]').waitFor({ timeout: PROMPT_MS });
      expect(await terminal.getByTestId("command-exit-code").textContent()).toBe("0");
      expect(await terminal.locator('[data-stream="stdout"]', { hasText: "to-stderr" }).count()).toBe(0);
      // The history lists it, and its row opens the same output.
      const commandId = await terminal.getAttribute("data-command-id");
      const row = page.locator(`[data-testid="command-row"][data-command-id="${commandId}"][data-status="completed"]`);
      await row.waitFor();
      await row.click();
      const dialog = page.getByTestId("command-output-dialog");
      await dialog.locator('[data-stream="stdout"]', { hasText: "gururmm-e2e-42" }).first().waitFor();
      await page.waitForURL((url) => url.searchParams.get("command") === commandId);
      await page.keyboard.press("Escape");
      await page.getByTestId("command-output-dialog").waitFor({ state: "detached" });
    });

    const scriptName = `E2E greet ${unique}`;
    // Quotes, a semicolon and a command substitution: parameters must reach the script as data, never as code.
    const hostileName = `it's "me"; $(id)`;

    await step("create a script with a parameter", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Scripts" }).click();
      await page.getByRole("heading", { name: "Scripts", exact: true }).waitFor();
      await page.getByTestId("new-script-button").first().click();
      await page.getByTestId("script-name-input").fill(scriptName);
      await page.getByTestId("script-type-select").click();
      await page.getByRole("option", { name: "Script" }).click();
      await page.getByTestId("script-interpreter-input").fill("bash");
      const code = page.getByRole("textbox", { name: "Script code" });
      await code.click();
      await code.fill('echo "hello $1 and $Name"');
      await page.getByTestId("add-parameter-button").click();
      await page.getByLabel("Parameter 1 name").fill("Name");
      await page.getByTestId("save-script-button").click();
      await page.waitForURL(/\/scripts\/[0-9a-f-]{36}$/);
      await page.getByTestId("script-version").filter({ hasText: "v1" }).waitFor();
      expect(await page.getByRole("textbox", { name: "Script code" }).textContent()).toBe('echo "hello $1 and $Name"');
    });

    await step("run the script on the live agent", async () => {
      await page.getByTestId("run-script-button").click();
      const dialog = page.getByTestId("run-script-dialog");
      await dialog.getByTestId("run-parameter-Name").fill(hostileName);
      await dialog.getByRole("searchbox", { name: "Search agents" }).fill(agentHostname);
      await dialog
        .locator(`[data-testid="target-agent-checkbox"][data-hostname="${agentHostname}"][data-status="online"]`)
        .first()
        .check({ timeout: LIVE_TIMEOUT_MS });
      await dialog.getByTestId("run-script-submit").click();
      await page.waitForURL(/\/jobs\/[0-9a-f-]{36}/);
    });

    await step("follow the job until it is done", async () => {
      await page.locator('[data-testid="job-page"][data-status="done"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(await page.getByTestId("job-count-completed").getAttribute("data-count")).toBe("1");
      expect(await page.getByTestId("job-count-failed").getAttribute("data-count")).toBe("0");
      expect(await page.getByTestId("job-parameters").textContent()).toContain(`Name=${hostileName}`);
    });

    await step("see the agent's output on the job page", async () => {
      // A job of one agent shows that agent's output under its row at once.
      const output = page.getByTestId("job-agent-output");
      const expected = `hello ${hostileName} and ${hostileName}`;
      await output.locator('[data-stream="stdout"]', { hasText: expected }).first().waitFor();
      expect((await output.getByTestId("command-output").textContent())?.trim()).toBe(expected);
    });

    const impostorHostname = `e2e-impostor-${unique}`;
    let api: Awaited<ReturnType<typeof apiClient>> | null = null;
    let liveAgentId = "";

    await step("a machine claims the live agent's identity with a valid key", async () => {
      api = await apiClient();
      const { anonymous, authed } = api;
      const agents = expectOk(
        await authed.GET("/api/v1/agents", { params: { query: { status: "online", q: agentHostname } } }),
        "listing the online agents",
      );
      liveAgentId = agents.items.find((agent) => agent.hostname === agentHostname)?.id ?? "";
      expect(liveAgentId).not.toBe("");
      const detail = expectOk(await authed.GET("/api/v1/agents/{id}", { params: { path: { id: liveAgentId } } }), "reading the agent");
      expect(detail.device_id).toBeTruthy();
      const created = expectOk(
        await authed.POST("/api/v1/sites/{id}/enrollment-keys", {
          params: { path: { id: siteId } },
          body: { label: `E2E claim ${unique}`, max_uses: 1 },
        }),
        "creating a key",
      );
      // A machine that only knows the device id (readable by any local user) and a key, not the agent's secret.
      const enrolled = expectOk(
        await anonymous.POST("/api/v1/agent/enroll", {
          body: {
            enrollment_key: created.key,
            device_id: detail.device_id ?? "",
            hostname: impostorHostname,
            os: { family: "linux", name: "Debian GNU/Linux", version: "12", kernel: null },
            arch: "x86_64",
            agent_version: "0.0.0-e2e",
          },
        }),
        "enrolling as the live agent",
      );
      expect(enrolled.pending_approval).toBe(true);
    });

    await step("see the pending approval on the agents page and review it", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
      await page.getByRole("heading", { name: "Agents", exact: true }).waitFor();
      const notice = page.getByTestId("pending-enrollments-notice");
      await notice.waitFor({ timeout: PROMPT_MS });
      expect(await notice.textContent()).toContain("1 machine claims the identity of an existing agent");
      await notice.getByRole("link", { name: "Review" }).click();
      await page.waitForURL(/\/enrollment-requests$/);
      const row = page.getByTestId("enrollment-request-row").filter({ hasText: impostorHostname });
      await row.waitFor();
      expect(await row.textContent()).toContain(agentHostname);
      expect(await row.textContent()).toContain(`${clientName} / ${siteName}`);
    });

    await step("reject the claim", async () => {
      const row = page.getByTestId("enrollment-request-row").filter({ hasText: impostorHostname });
      // Never approve here: that would hand the live agent's identity to the impostor and disconnect it.
      await row.getByRole("button", { name: "Reject" }).click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain(`Reject ${impostorHostname}?`);
      await confirm.getByRole("button", { name: "Reject" }).click();
      await confirm.waitFor({ state: "detached" });
      await page.getByTestId("enrollment-requests-empty").waitFor();
    });

    await step("the live agent stays online and the banner is gone", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
      await page.getByRole("searchbox", { name: "Search agents" }).fill(agentHostname);
      const agentRow = page.locator(`[data-testid="agent-row"][data-hostname="${agentHostname}"]`).first();
      await agentRow.locator('[data-testid="agent-status"][data-status="online"]').waitFor();
      expect(await page.getByTestId("pending-enrollments-notice").count()).toBe(0);
      if (!api) throw new Error("the claim step did not log in to the API");
      const agent = expectOk(await api.authed.GET("/api/v1/agents/{id}", { params: { path: { id: liveAgentId } } }), "reading the agent");
      expect(agent.status).toBe("online");
      expect(agent.hostname).toBe(agentHostname);
    });

    // A throwaway agent, enrolled through the API and never connected, so deleting it leaves the live one alone.
    const throwawayHostname = `e2e-throwaway-${unique}`;
    let throwawayId = "";
    let queuedCommandId = "";

    await step("enroll a throwaway agent and queue a command on it through the API", async () => {
      api ??= await apiClient();
      const { anonymous, authed } = api;
      const created = expectOk(
        await authed.POST("/api/v1/sites/{id}/enrollment-keys", {
          params: { path: { id: siteId } },
          body: { label: `E2E throwaway ${unique}`, max_uses: 1 },
        }),
        "creating a key for the throwaway agent",
      );
      const enrolled = expectOk(
        await anonymous.POST("/api/v1/agent/enroll", {
          body: {
            enrollment_key: created.key,
            device_id: `e2e-throwaway-device-${unique}`,
            hostname: throwawayHostname,
            os: { family: "linux", name: "Debian GNU/Linux", version: "12", kernel: null },
            arch: "x86_64",
            agent_version: "0.0.0-e2e",
          },
        }),
        "enrolling the throwaway agent",
      );
      expect(enrolled.pending_approval ?? false).toBe(false);
      throwawayId = enrolled.agent_id;
      // The agent never connects, so the command stays queued until the deletion interrupts it.
      const command = expectOk(
        await authed.POST("/api/v1/agents/{id}/commands", {
          params: { path: { id: throwawayId } },
          body: { command_type: "shell", command: "echo never-runs" },
        }),
        "queueing a command on the throwaway agent",
      );
      expect(command.status).toBe("queued");
      queuedCommandId = command.id;
    });

    await step("delete the throwaway agent from its page and land on its deleted-agent page", async () => {
      await page.goto(`${baseUrl}/agents/${throwawayId}`);
      await page.getByTestId("agent-hostname").filter({ hasText: throwawayHostname }).waitFor();
      await page.locator(`[data-testid="command-row"][data-command-id="${queuedCommandId}"][data-status="queued"]`).waitFor();
      await page.getByRole("button", { name: "Delete agent" }).click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain(`Delete ${throwawayHostname}?`);
      expect(await confirm.textContent()).toContain("command history is kept");
      await confirm.getByRole("button", { name: "Delete agent" }).click();
      await page.waitForURL((url) => url.pathname === `/deleted-agents/${throwawayId}`);
      await page.getByTestId("deleted-agent-hostname").filter({ hasText: throwawayHostname }).waitFor();
      const notice = (await page.getByTestId("deleted-agent-notice").textContent()) ?? "";
      expect(notice).toContain(`by ${email}`);
      expect(notice).toContain("command history is kept");
      expect(await page.getByTestId("deleted-agent-location").textContent()).toBe(`${clientName} / ${siteName}`);
      // A deleted agent can no longer run anything: no run panel on its page.
      expect(await page.getByTestId("run-command-panel").count()).toBe(0);
    });

    await step("see the interrupted command in the deleted agent's history", async () => {
      const row = page.locator(`[data-testid="command-row"][data-command-id="${queuedCommandId}"][data-status="interrupted"]`);
      await row.waitFor();
      await row.click();
      const dialog = page.getByTestId("command-output-dialog");
      await dialog.locator('[data-testid="command-status"][data-status="interrupted"]').waitFor();
      expect(await dialog.getByTestId("command-error").textContent()).toContain("the agent was deleted");
      expect(await dialog.getByTestId("cancel-command-button").count()).toBe(0);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    });

    await step("find the throwaway agent in the deleted agents list", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
      await page.getByRole("heading", { name: "Agents", exact: true }).waitFor();
      await page.getByTestId("deleted-agents-link").click();
      await page.getByRole("heading", { name: "Deleted agents", exact: true }).waitFor();
      await page.getByRole("searchbox", { name: "Search deleted agents" }).fill(throwawayHostname);
      await page.waitForURL((url) => url.pathname === "/agents/deleted" && url.searchParams.get("q") === throwawayHostname);
      const row = page.locator(`[data-testid="deleted-agent-row"][data-agent-id="${throwawayId}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain(`${clientName} / ${siteName}`);
      expect(await row.textContent()).toContain(email);
      expect(await row.getByTestId("deleted-agent-command-count").textContent()).toBe("1");
      await row.getByTestId("deleted-agent-link").click();
      await page.waitForURL((url) => url.pathname === `/deleted-agents/${throwawayId}`);
      // The live agent the suite relies on is untouched.
      if (!api) throw new Error("the throwaway step did not log in to the API");
      const live = expectOk(
        await api.authed.GET("/api/v1/agents/{id}", { params: { path: { id: liveAgentId } } }),
        "reading the live agent",
      );
      expect(live.status).toBe("online");
    });

    expect(session.errors.filter((message) => message.startsWith("pageerror"))).toEqual([]);
    // The dashboard runs under its strict Content-Security-Policy without tripping it.
    expect(session.errors.filter((message) => message.includes("Content Security Policy"))).toEqual([]);
    // The session is an HttpOnly cookie: nothing a script could steal is kept in the page's storage.
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(storage).not.toMatch(/token/i);
    const sessionCookie = (await session.context.cookies()).find((cookie) => cookie.name === "gururmm_session");
    expect(sessionCookie?.httpOnly).toBe(true);
    expect(sessionCookie?.sameSite).toBe("Strict");
  });
});
