//! The live alert flow in the browser, against a real server and its live agent: a port check on a
//! port this test opens, assigned to the agent from its page; closing the port opens an alert that
//! appears on the alerts page and in the navigation count without a reload; it is acknowledged with
//! a note; reopening the port resolves it, again live.
import { createServer, type Server } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, expectOk, LIVE_TIMEOUT_MS, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let listener: Server | null = null;
let port = 0;

function openPort(at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once("error", reject);
    server.listen(at, "127.0.0.1", () => {
      listener = server;
      resolve((server.address() as { port: number }).port);
    });
  });
}

function closePort(): Promise<void> {
  return new Promise((resolve) => {
    if (!listener) return resolve();
    listener.close(() => resolve());
    listener = null;
  });
}

beforeAll(async () => {
  page = session.page;
  port = await openPort(0);
});

afterAll(closePort);

describe("live alert flow", () => {
  it("opens an alert live when a checked port closes, acknowledges it, and resolves it live when the port reopens", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const policyName = `E2E alert flow ${unique}`;
    const checkName = `E2E flow port ${unique}`;
    const { authed } = await apiClient();
    const agents = expectOk(await authed.GET("/api/v1/agents", { params: { query: { q: agentHostname } } }), "finding the agent");
    const agentId = agents.items.find((agent) => agent.hostname === agentHostname)?.id ?? "";
    expect(agentId).not.toBe("");
    // The policy itself is made through the API: the editor has its own test (monitoring.e2e.ts).
    const policy = expectOk(
      await authed.POST("/api/v1/policies", {
        body: {
          name: policyName,
          checks: [{ name: checkName, type: "port", host: "127.0.0.1", port, interval_seconds: 10, fail_after: 1, severity: "critical" }],
        },
      }),
      "creating the policy",
    );
    const alertRow = () => page.getByTestId("alert-row").filter({ hasText: checkName });

    await step("log in", async () => {
      await logIn(page);
    });

    await step("assign the policy to the agent from its page", async () => {
      await page.goto(`${baseUrl}/agents/${agentId}?tab=policy`);
      const card = page.getByTestId("scope-policy-card");
      await card.getByTestId("scope-assign-button").click();
      const dialog = page.getByTestId("assign-policy-dialog");
      await dialog.getByTestId("assign-policy-select").click();
      await page.getByRole("option", { name: policyName, exact: true }).click();
      await dialog.getByTestId("assign-policy-submit").click();
      await dialog.waitFor({ state: "detached" });
      await card.getByRole("link", { name: policyName }).waitFor();
    });

    await step("see the check pass", async () => {
      await page.getByTestId("agent-tab-checks").click();
      await page
        .locator(`[data-testid="agent-check-row"][data-check-name="${checkName}"][data-state="passing"]`)
        .waitFor({ timeout: LIVE_TIMEOUT_MS });
    });

    await step("close the port and see the alert appear live", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
      await page.getByRole("heading", { name: "Alerts", exact: true }).waitFor();
      await closePort();
      // No reload from here on: the row comes from the live event stream.
      const row = alertRow();
      await row.waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(await row.getAttribute("data-status")).toBe("open");
      expect(await row.getAttribute("data-severity")).toBe("critical");
      await page.getByTestId("unresolved-alerts-count").waitFor();
    });

    await step("open the alert's details", async () => {
      await alertRow().getByTestId("alert-title").click();
      const detail = page.getByTestId("alert-detail");
      await detail.getByTestId("alert-detail-title").waitFor();
      expect(await detail.textContent()).toContain(agentHostname);
      await page.keyboard.press("Escape");
      await detail.waitFor({ state: "detached" });
    });

    await step("acknowledge the alert with a note", async () => {
      await alertRow().getByTestId("alert-row-actions").click();
      await page.getByRole("menuitem", { name: "Acknowledge…" }).click();
      const dialog = page.getByTestId("acknowledge-dialog");
      await dialog.getByLabel("Note (optional)").fill("e2e is on it");
      await dialog.getByRole("button", { name: "Acknowledge" }).click();
      await dialog.waitFor({ state: "detached" });
      await page.locator('[data-testid="alert-row"][data-status="acknowledged"]').filter({ hasText: checkName }).waitFor();
    });

    await step("reopen the port and see the alert resolve live", async () => {
      await openPort(port);
      await alertRow().waitFor({ state: "detached", timeout: LIVE_TIMEOUT_MS });
      await page.getByTestId("alert-status-filter").click();
      await page.getByRole("option", { name: "Resolved", exact: true }).click();
      await page.locator('[data-testid="alert-row"][data-status="resolved"]').filter({ hasText: checkName }).waitFor();
    });

    await step("remove the test's policy", async () => {
      const removed = await authed.DELETE("/api/v1/policies/{id}", { params: { path: { id: policy.id } } });
      expect(removed.response.ok).toBe(true);
    });

    expect(session.errors.filter((message) => message.startsWith("pageerror"))).toEqual([]);
  });
});
