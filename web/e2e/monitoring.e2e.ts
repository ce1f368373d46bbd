//! Monitoring in the browser against a real server and its live agent: a policy with a TCP port
//! check made in the editor and assigned globally reaches the agent's Checks tab, the overview shows
//! the fleet's counts, and the alerts page's filters live in the URL.
import { createServer, type Server } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, expectOk, LIVE_TIMEOUT_MS, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let listener: Server;
let port = 0;

beforeAll(async () => {
  page = session.page;
  // The port the check connects to: open for the whole test, so the check passes.
  listener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  port = (listener.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => listener?.close(resolve));
});

/** Picks `option` in the Radix select whose trigger has `testId`. */
async function choose(testId: string, option: string) {
  await page.getByTestId(testId).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

describe("monitoring against a live server", () => {
  it("creates a policy with a port check, assigns it globally, sees it on the agent, and filters alerts", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const policyName = `E2E monitoring ${unique}`;
    const checkName = `E2E port ${unique}`;
    let policyId = "";

    await step("log in and see the overview's counts", async () => {
      await logIn(page);
      const total = page.getByTestId("overview-agents-total");
      await total.waitFor();
      expect(Number(await total.getAttribute("data-count"))).toBeGreaterThanOrEqual(1);
      expect(Number(await page.getByTestId("overview-agents-online").getAttribute("data-count"))).toBeGreaterThanOrEqual(1);
      await page.getByTestId("overview-checks-passing").waitFor();
      await page.getByTestId("overview-alerts-critical").waitFor();
    });

    await step("create a policy with a TCP port check", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Policies" }).click();
      await page.getByRole("heading", { name: "Policies", exact: true }).waitFor();
      await page.getByTestId("new-policy-button").first().click();
      await page.getByLabel("Name", { exact: true }).fill(policyName);
      await page.getByTestId("add-check-button").click();
      await page.getByTestId("add-check-port").click();
      const editor = page.getByTestId("check-editor");
      await editor.getByLabel("Name", { exact: true }).fill(checkName);
      await editor.getByLabel("Host").fill("127.0.0.1");
      // A port out of range is refused next to the field before anything is sent.
      await editor.getByLabel("Port").fill("70000");
      await editor.getByTestId("save-check").click();
      expect(await editor.getByTestId("check-field-error").textContent()).toContain("1 to 65535");
      await editor.getByLabel("Port").fill(String(port));
      await editor.getByLabel("Every (s)").fill("10");
      await editor.getByTestId("save-check").click();
      await editor.waitFor({ state: "detached" });
      await page
        .getByTestId("policy-check-row")
        .filter({ hasText: `127.0.0.1:${port}` })
        .waitFor();
      await page.getByTestId("save-policy").click();
      await page.waitForURL(/\/policies\/[0-9a-f-]{36}$/);
      policyId = /\/policies\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1] ?? "";
      await page.getByTestId("policy-not-assigned").waitFor();
    });

    await step("assign the policy globally", async () => {
      await page.getByTestId("assign-policy-button").click();
      const dialog = page.getByTestId("assign-policy-dialog");
      await dialog.getByTestId("assign-scope-global").click();
      await dialog.getByTestId("assign-policy-submit").click();
      await dialog.waitFor({ state: "detached" });
      await page.locator('[data-testid="assignment-row"][data-scope="global"]').waitFor();
    });

    await step("see the check on the agent's Checks tab, then passing", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
      await page.getByRole("searchbox", { name: "Search agents" }).fill(agentHostname);
      await page.waitForURL((url) => url.searchParams.get("q") === agentHostname);
      await page
        .locator(`[data-testid="agent-row"][data-hostname="${agentHostname}"]`)
        .first()
        .getByRole("link", { name: agentHostname })
        .click();
      await page.getByTestId("agent-hostname").waitFor();
      await page.getByTestId("agent-tab-checks").click();
      await page.waitForURL((url) => url.searchParams.get("tab") === "checks");
      const row = page.locator(`[data-testid="agent-check-row"][data-check-name="${checkName}"]`);
      await row.waitFor();
      expect(["pending", "passing", "warning", "failing"]).toContain(await row.getAttribute("data-state"));
      expect(await row.textContent()).toContain(policyName);
      // The port is open: the agent's first result arrives live.
      await page
        .locator(`[data-testid="agent-check-row"][data-check-name="${checkName}"][data-state="passing"]`)
        .waitFor({ timeout: LIVE_TIMEOUT_MS });
      await row.getByTestId("check-history-strip").waitFor();
    });

    await step("see where the check comes from in the effective policy", async () => {
      await page.getByTestId("agent-tab-policy").click();
      const check = page.locator(`[data-testid="effective-check"][data-check-name="${checkName}"]`);
      await check.waitFor();
      expect(await check.getByTestId("policy-source").getAttribute("data-scope")).toBe("global");
      expect(await check.textContent()).toContain(policyName);
    });

    await step("filter the alerts page, every filter in the URL", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
      await page.getByRole("heading", { name: "Alerts", exact: true }).waitFor();
      await page.getByTestId("alert-filters").waitFor();
      await choose("alert-severity-filter", "Critical");
      await page.waitForURL((url) => url.searchParams.get("severity") === "critical");
      await choose("alert-status-filter", "Any status");
      await page.waitForURL((url) => url.searchParams.get("status") === "all" && url.searchParams.get("severity") === "critical");
      await choose("alert-kind-filter", "Agent offline");
      await page.waitForURL((url) => url.searchParams.get("kind") === "offline");
      await page.getByRole("searchbox", { name: "Search alerts" }).fill("no-such-alert-e2e");
      await page.waitForURL((url) => url.searchParams.get("q") === "no-such-alert-e2e");
      await page.getByTestId("alerts-empty").waitFor();
      // A reload keeps the filters: they are the URL.
      await page.reload();
      expect(await page.getByTestId("alert-status-filter").textContent()).toContain("Any status");
      await page.getByTestId("clear-alert-filters").click();
      await page.waitForURL((url) => url.pathname === "/alerts" && url.search === "");
    });

    await step("remove the global assignment through the API", async () => {
      const { authed } = await apiClient();
      const assignments = expectOk(await authed.GET("/api/v1/policy-assignments"), "listing assignments");
      for (const assignment of assignments.items.filter((item) => item.policy_id === policyId)) {
        const removed = await authed.DELETE("/api/v1/policy-assignments/{id}", { params: { path: { id: assignment.id } } });
        expect(removed.response.ok).toBe(true);
      }
    });

    expect(session.errors.filter((message) => message.startsWith("pageerror"))).toEqual([]);
  });
});
