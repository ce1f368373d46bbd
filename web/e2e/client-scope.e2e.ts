//! Client scope in the browser against a real server: the administrator has three clients, Acme,
//! Globex and Initech, each with a site, the demo agent moved into Acme's site for the test and a
//! throwaway agent enrolled at Initech's, which connects once (a bare hello) and goes. A policy
//! assigned to Acme and Initech checks a closed port and raises offline alerts after a minute, so
//! Acme's agent gets a failing check's alert and Initech's an offline alert. They invite a technician limited to Acme and Globex
//! in the dashboard; the technician signs in and sees only those two clients and only Acme's agent
//! (the demo agent, which the administrator's list shows among the others), Initech's page is not
//! found, the navigation holds the overview, alerts, checks, agents, clients, scripts and jobs (no
//! Users or settings) with the search, the Alerts page shows Acme's alert but not Initech's, and they run
//! a script of the library on Acme's agent and see its job among theirs (not the administrator's). Afterwards the
//! demo agent goes back to its site and the policy, the throwaway agent, the clients and the
//! technician are removed. The technician's role is a custom one, the technician's permissions with
//! enrolling and deleting agents: on the Agents page they select their agent and tag it in bulk, and
//! on Acme's site page they create an enrollment key.
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { createServer } from "node:net";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, expectOk, LIVE_TIMEOUT_MS, logIn, pickScriptToRun, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let technicianContext: BrowserContext | undefined;

const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const technicianEmail = `scoped-${unique}@e2e.test`;
const technicianPassword = `scoped technician password ${unique}`;
const names = { acme: `Acme ${unique}`, globex: `Globex ${unique}`, initech: `Initech ${unique}` };
const checkName = `E2E scope port ${unique}`;
const initechHostname = `initech-${unique}`;
const roleName = `E2E scoped technician ${unique}`;
const bulkTag = `scoped-${unique}`;

/** What the setup made, undone in `afterAll`. */
const made: {
  clientIds: string[];
  agentId?: string;
  agentSiteId?: string;
  policyId?: string;
  initechAgentId?: string;
  scriptId?: string;
  roleId?: string;
} = {
  clientIds: [],
};

/** One masked WebSocket text frame, as a client sends it (RFC 6455). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const length =
    payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([Buffer.from([0x81]), length, mask, payload.map((byte, index) => byte ^ (mask[index % 4] ?? 0))]);
}

/**
 * Connects as an enrolled agent for a moment (its hello, then the connection drops), so the server
 * has seen it and counts it offline from then on: an agent never seen raises no offline alert.
 */
function connectOnce(agentId: string, secret: string, hello: Record<string, unknown>): Promise<void> {
  const url = new URL("/api/v1/agent/ws", baseUrl);
  return new Promise((resolve, reject) => {
    const upgrade = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        Authorization: `Bearer ${agentId}.${secret}`,
      },
    });
    upgrade.on("upgrade", (_response, socket) => {
      socket.on("error", () => undefined);
      socket.write(textFrame(JSON.stringify({ type: "hello", ...hello })));
      // Long enough for the server to take the hello and mark the agent online.
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2_000);
    });
    upgrade.on("response", (response) => reject(new Error(`the agent's connection was refused with ${response.statusCode}`)));
    upgrade.on("error", reject);
    upgrade.end();
  });
}

/** A port nothing listens on: one the system just gave out and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await technicianContext?.close();
  const { authed } = await apiClient();
  if (made.policyId) {
    await authed.DELETE("/api/v1/policies/{id}", { params: { path: { id: made.policyId } } });
    // The check is gone: its alert on the demo agent would otherwise stay open for the other specs.
    const open = (await authed.GET("/api/v1/alerts", { params: { query: { status: "unresolved", q: checkName } } })).data?.items ?? [];
    for (const alert of open) await authed.POST("/api/v1/alerts/{id}/resolve", { params: { path: { id: alert.id } } });
  }
  if (made.initechAgentId) await authed.DELETE("/api/v1/agents/{id}", { params: { path: { id: made.initechAgentId } } });
  if (made.agentId && made.agentSiteId) {
    await authed.PATCH("/api/v1/agents/{id}", { params: { path: { id: made.agentId } }, body: { site_id: made.agentSiteId } });
    const agent = (await authed.GET("/api/v1/agents/{id}", { params: { path: { id: made.agentId } } })).data;
    if (agent?.tags.includes(bulkTag)) {
      await authed.POST("/api/v1/agents/bulk", { body: { agent_ids: [made.agentId], action: "untag", tags: [bulkTag] } });
    }
  }
  const technician = (await authed.GET("/api/v1/users")).data?.items.find((user) => user.email === technicianEmail);
  if (technician) await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: technician.id } } });
  const pending = (await authed.GET("/api/v1/invitations")).data?.items.find((invitation) => invitation.email === technicianEmail);
  if (pending) await authed.DELETE("/api/v1/invitations/{id}", { params: { path: { id: pending.id } } });
  if (made.roleId) await authed.DELETE("/api/v1/roles/{id}", { params: { path: { id: made.roleId } } });
  for (const id of made.clientIds) await authed.DELETE("/api/v1/clients/{id}", { params: { path: { id } } });
  if (made.scriptId) await authed.DELETE("/api/v1/scripts/{id}", { params: { path: { id: made.scriptId } } });
});

describe("client scope against a live server", () => {
  it("limits an invited technician to Acme and Globex, their alerts included", async () => {
    const { anonymous, authed } = await apiClient();
    const clientIds: Record<keyof typeof names, string> = { acme: "", globex: "", initech: "" };
    const siteIds: Record<keyof typeof names, string> = { acme: "", globex: "", initech: "" };

    await step("the administrator has Acme, Globex and Initech with a site each, and the demo agent in Acme", async () => {
      for (const key of ["acme", "globex", "initech"] as const) {
        const client = expectOk(await authed.POST("/api/v1/clients", { body: { name: names[key] } }), `creating ${names[key]}`);
        clientIds[key] = client.id;
        made.clientIds.push(client.id);
        const site = expectOk(
          await authed.POST("/api/v1/clients/{id}/sites", { params: { path: { id: client.id } }, body: { name: "Head office" } }),
          `creating ${names[key]}'s site`,
        );
        siteIds[key] = site.id;
      }
      const agents = expectOk(await authed.GET("/api/v1/agents", { params: { query: { q: agentHostname } } }), "finding the demo agent");
      const agent = agents.items.find((candidate) => candidate.hostname === agentHostname);
      if (!agent) throw new Error(`no demo agent ${agentHostname}`);
      made.agentId = agent.id;
      made.agentSiteId = agent.site_id;
      // The demo agent lives in the demo client, which the technician will not reach.
      expect(agent.client_id).not.toBe(clientIds.acme);
      expectOk(
        await authed.PATCH("/api/v1/agents/{id}", { params: { path: { id: agent.id } }, body: { site_id: siteIds.acme } }),
        "moving the demo agent into Acme",
      );
    });

    await step("Acme's agent fails a check and Initech's, seen once, will go offline", async () => {
      const key = expectOk(
        await authed.POST("/api/v1/sites/{id}/enrollment-keys", {
          params: { path: { id: siteIds.initech } },
          body: { label: "client scope e2e", max_uses: 1 },
        }),
        "creating Initech's enrollment key",
      );
      const facts = {
        device_id: `e2e-scope-${unique}`,
        hostname: initechHostname,
        os: { family: "linux", name: "Debian GNU/Linux", version: "12", kernel: null },
        arch: "x86_64",
        agent_version: "0.0.1",
      };
      const enrolled = expectOk(
        await anonymous.POST("/api/v1/agent/enroll", { body: { enrollment_key: key.key, ...facts } }),
        "enrolling Initech's agent",
      );
      made.initechAgentId = enrolled.agent_id;
      const port = await closedPort();
      const policy = expectOk(
        await authed.POST("/api/v1/policies", {
          body: {
            name: `E2E client scope ${unique}`,
            offline_alert_after_seconds: 60,
            checks: [{ name: checkName, type: "port", host: "127.0.0.1", port, interval_seconds: 10, fail_after: 1, severity: "critical" }],
          },
        }),
        "creating the policy",
      );
      made.policyId = policy.id;
      for (const key of ["acme", "initech"] as const) {
        expectOk(
          await authed.POST("/api/v1/policy-assignments", { body: { policy_id: policy.id, scope: "client", target_id: clientIds[key] } }),
          `assigning the policy to ${names[key]}`,
        );
      }
      await connectOnce(enrolled.agent_id, enrolled.agent_secret, { protocol_version: 1, ...facts });
    });

    let link = "";
    await step("the administrator invites a technician limited to Acme and Globex", async () => {
      const role = expectOk(
        await authed.POST("/api/v1/roles", {
          body: {
            name: roleName,
            permissions: [
              "view_agents",
              "run_commands",
              "run_scripts",
              "manage_alerts",
              "manage_clients",
              "organize_agents",
              "manage_agents",
            ],
          },
        }),
        "creating the technician's role",
      );
      made.roleId = role.id;
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      await page.getByTestId("invite-user-button").click();
      const dialog = page.getByTestId("invite-user-dialog");
      await dialog.getByTestId("invite-email").fill(technicianEmail);
      await dialog.getByTestId("invite-role").click();
      await page.getByRole("option", { name: roleName, exact: true }).click();
      await dialog.getByLabel("Only these clients").check();
      for (const name of [names.acme, names.globex]) {
        await dialog.getByRole("searchbox", { name: "Search clients" }).fill(name);
        const option = dialog.locator(`[data-testid="invite-scope-option"][data-name="${name}"]`);
        await option.check();
        await dialog.locator(`[data-testid="invite-scope-chosen-client"][data-name="${name}"]`).waitFor();
      }
      await dialog.getByTestId("invite-submit").click();
      link = (await dialog.getByTestId("one-time-link").textContent()) ?? "";
      expect(link).toContain("/welcome#token=gri_");
      await dialog.getByTestId("invitation-done").click();
      const row = page.locator(`[data-testid="invitation-row"][data-email="${technicianEmail}"]`);
      await row.waitFor();
      expect(await row.getByTestId("invitation-access").textContent()).toBe(`${names.acme}, ${names.globex}`);
    });

    let technicianPage!: Page;
    await step("the technician joins by the link and is told their access is limited", async () => {
      technicianContext = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
      technicianContext.setDefaultTimeout(20_000);
      technicianPage = await technicianContext.newPage();
      technicianPage.on("pageerror", (error) => session.errors.push(`technician pageerror: ${error.message}`));
      await technicianPage.goto(link);
      await technicianPage.getByTestId("welcome-title").waitFor();
      await technicianPage.getByLabel("New password", { exact: true }).fill(technicianPassword);
      await technicianPage.getByLabel("Confirm the password").fill(technicianPassword);
      await technicianPage.getByTestId("welcome-submit").click();
      await technicianPage.waitForURL((url) => url.pathname === "/");
      await technicianPage.getByRole("heading", { name: "Overview", exact: true }).waitFor();
      expect(await technicianPage.getByTestId("client-scope-badge").textContent()).toContain("Limited to 2 clients");
    });

    await step(
      "the navigation holds the overview, alerts, checks, agents, software, clients, scripts, jobs and maintenance, with the search",
      async () => {
        const navigation = technicianPage.getByRole("navigation", { name: "Main" });
        await navigation.getByRole("link", { name: "Clients", exact: true }).waitFor();
        // The alerts entry may carry the count of unresolved alerts.
        const labels = (await navigation.getByRole("link").allTextContents()).map((label) => label.replace(/\d+$/, "").trim());
        expect(labels).toEqual(["Overview", "Alerts", "Checks", "Agents", "Software", "Clients", "Scripts", "Jobs", "Maintenance"]);
        for (const hidden of ["Users", "Organization", "Custom fields", "Policies", "Organizations"]) {
          expect(await navigation.getByRole("link", { name: hidden, exact: true }).count()).toBe(0);
        }
        await technicianPage.getByTestId("global-search-button").waitFor();
      },
    );

    await step("the Clients page lists Acme and Globex only", async () => {
      await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clients", exact: true }).click();
      await technicianPage.locator(`[data-testid="client-row"][data-name="${names.acme}"]`).waitFor();
      const listed = await technicianPage.getByTestId("client-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-name")));
      expect(listed.sort()).toEqual([names.acme, names.globex]);
    });

    await step("the Agents page lists Acme's agent only", async () => {
      await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
      await technicianPage.locator(`[data-testid="agent-row"][data-hostname="${agentHostname}"]`).waitFor();
      expect(await technicianPage.getByTestId("agent-row").count()).toBe(1);
      // The administrator sees the same agent among the whole organization's.
      const all = expectOk(await authed.GET("/api/v1/agents", { params: { query: {} } }), "listing every agent");
      expect(all.items.some((agent) => agent.hostname === agentHostname)).toBe(true);
    });

    await step("they select their agent on the Agents page and tag it in bulk", async () => {
      const row = technicianPage.locator(`[data-testid="agent-row"][data-hostname="${agentHostname}"]`);
      await row.getByTestId("select-agent").check();
      await expect.poll(() => technicianPage.getByTestId("agent-selection-count").textContent()).toBe("1 agent selected");
      await technicianPage.getByTestId("bulk-tag").click();
      await technicianPage.getByTestId("bulk-tags-input").fill(bulkTag);
      await technicianPage.getByTestId("bulk-submit").click();
      await expect.poll(() => technicianPage.getByTestId("bulk-progress-text").textContent()).toBe("Done: 1 succeeded, 0 failed.");
      await technicianPage.getByTestId("bulk-done").click();
      const agent = expectOk(
        await authed.GET("/api/v1/agents/{id}", { params: { path: { id: made.agentId ?? "" } } }),
        "reading the agent",
      );
      expect(agent.tags).toContain(bulkTag);
    });

    await step("they create an enrollment key on Acme's site", async () => {
      await technicianPage.goto(`${baseUrl}/sites/${siteIds.acme}`);
      await technicianPage.getByTestId("new-enrollment-key-button").click();
      const dialog = technicianPage.getByTestId("new-enrollment-key-dialog");
      await dialog.getByLabel("Label", { exact: true }).fill(`Scoped ${unique}`);
      await dialog.getByTestId("create-enrollment-key-button").click();
      const key = (await dialog.getByTestId("enrollment-key-value").textContent())?.trim() ?? "";
      expect(key.length).toBeGreaterThan(8);
      await dialog.getByTestId("close-created-key-button").click();
      await technicianPage.locator(`[data-testid="enrollment-key-row"][data-label="Scoped ${unique}"][data-state="active"]`).waitFor();
      // The quick "regenerate" path, which revokes every key of the site, stays with the whole organization's users.
      expect(await technicianPage.getByTestId("enrollment-key-section").count()).toBe(0);
      const keys = expectOk(
        await authed.GET("/api/v1/sites/{id}/enrollment-keys", { params: { path: { id: siteIds.acme } } }),
        "listing Acme's keys",
      );
      expect(keys.items.map((item) => item.created_by_email)).toContain(technicianEmail);
    });

    await step("the Alerts page shows the alert of Acme's agent, live, and the navigation counts it", async () => {
      await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
      await technicianPage.getByRole("heading", { name: "Alerts", exact: true }).waitFor();
      const row = technicianPage.getByTestId("alert-row").filter({ hasText: checkName });
      await row.waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(await row.textContent()).toContain(agentHostname);
      await technicianPage.getByTestId("unresolved-alerts-count").waitFor();
    });

    await step("Initech's agent's alert, which the administrator sees, is not on the technician's Alerts page", async () => {
      // Its offline alert opens a minute after it enrolled (the policy's grace), within the server's scan.
      await expect
        .poll(
          async () => {
            const alerts = expectOk(
              await authed.GET("/api/v1/alerts", { params: { query: { agent_id: made.initechAgentId, status: "unresolved" } } }),
              "listing Initech's agent's alerts",
            );
            return alerts.total;
          },
          { timeout: 150_000, interval: 2_000 },
        )
        .toBeGreaterThan(0);
      await technicianPage.reload();
      await technicianPage.getByTestId("alert-row").filter({ hasText: checkName }).waitFor();
      expect(await technicianPage.getByTestId("alert-row").filter({ hasText: initechHostname }).count()).toBe(0);
    });

    await step(
      "the Checks page and the agent's Checks tab show Acme's failing check; its policy tab shows the effective policy",
      async () => {
        await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Checks", exact: true }).click();
        await technicianPage.getByTestId("fleet-check-row").filter({ hasText: checkName }).waitFor();
        await technicianPage.goto(`${baseUrl}/agents/${made.agentId}?tab=checks`);
        await technicianPage.locator(`[data-testid="agent-check-row"][data-check-name="${checkName}"][data-state="failing"]`).waitFor();
        await technicianPage.getByTestId("agent-tab-alerts").waitFor();
        await technicianPage.getByTestId("agent-tab-policy").click();
        await technicianPage.getByTestId("policy-source").first().waitFor();
        // The policies themselves are the organization's: named, not linked, and no assignments card.
        expect(await technicianPage.getByTestId("policy-source").first().getByRole("link").count()).toBe(0);
      },
    );

    await step("they run a script of the library on Acme's agent and see only their own job", async () => {
      const scriptName = `E2E scoped script ${unique}`;
      const script = expectOk(
        await authed.POST("/api/v1/scripts", {
          body: { name: scriptName, command_type: "script", interpreter: "bash", body: 'echo "scoped run ok"\n' },
        }),
        "creating the script",
      );
      made.scriptId = script.id;
      await technicianPage.goto(`${baseUrl}/scripts`);
      await technicianPage.getByRole("link", { name: scriptName }).waitFor();
      // The library is read only for them.
      expect(await technicianPage.getByTestId("new-script-button").count()).toBe(0);
      await technicianPage.goto(`${baseUrl}/agents/${made.agentId}`);
      const dialog = await pickScriptToRun(technicianPage, scriptName);
      await dialog.getByTestId("run-script-submit").click();
      await technicianPage.waitForURL(/\/jobs\/[0-9a-f-]{36}/);
      const output = technicianPage.getByTestId("job-agent-output");
      await output.locator('[data-stream="stdout"]', { hasText: "scoped run ok" }).first().waitFor({ timeout: LIVE_TIMEOUT_MS });
      // The administrator runs it too: a job of the organization that is not theirs.
      expectOk(
        await authed.POST("/api/v1/scripts/{id}/run", {
          params: { path: { id: script.id } },
          body: { targets: { agent_ids: [made.agentId ?? ""] } },
        }),
        "the administrator's run",
      );
      await technicianPage.goto(`${baseUrl}/jobs`);
      await technicianPage.getByRole("link", { name: `${scriptName} v1` }).waitFor();
      // Every job listed is one they started, though the administrator's are many.
      const everyJob = expectOk(await authed.GET("/api/v1/jobs", { params: { query: { per_page: 100 } } }), "listing jobs");
      const theirs = new Set(everyJob.items.filter((job) => job.created_by_email === technicianEmail).map((job) => job.id));
      expect(everyJob.items.length).toBeGreaterThan(theirs.size);
      const listed = await technicianPage.getByTestId("job-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-job-id")));
      expect(listed.length).toBeGreaterThan(0);
      for (const id of listed) expect(theirs.has(id ?? "")).toBe(true);
    });

    await step("Initech's page is not found, and a page for the whole organization says it is not for them", async () => {
      await technicianPage.goto(`${baseUrl}/clients/${clientIds.initech}`);
      await technicianPage.getByTestId("client-not-found").waitFor();
      expect(await technicianPage.getByTestId("client-name").count()).toBe(0);
      await technicianPage.goto(`${baseUrl}/clients/${clientIds.acme}`);
      expect(await technicianPage.getByTestId("client-name").textContent()).toBe(names.acme);
      await technicianPage.goto(`${baseUrl}/policies`);
      expect(await technicianPage.getByTestId("client-scope-refused").textContent()).toContain(
        "Your access is limited to some clients; this page is not available to you.",
      );
    });
  });
});
