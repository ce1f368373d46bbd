//! Inventory in the browser against a real server and the suite's real agent (on this machine): the
//! agent's Software tab lists what dpkg lists here, sorted and searched; its Hardware tab shows the OS
//! release; the fleet's Software page finds the machine by a package's version ("below" a newer one,
//! not "below" its own) and leads back to the agent; a refresh from the tab brings a newer inventory.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { LIVE_TIMEOUT_MS, agentHostname, apiClient, baseUrl, expectOk, logIn, onlineAgent, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;

beforeAll(() => {
  page = session.page;
});

describe("inventory", () => {
  it("shows the agent's software and finds the machine across the fleet by a package's version", async () => {
    const { authed } = await apiClient();
    const agent = await onlineAgent(authed);
    // The agent sends its inventory when it starts: wait for it rather than assume it is in.
    const deadline = Date.now() + LIVE_TIMEOUT_MS;
    let inventory = expectOk(await authed.GET("/api/v1/agents/{id}/inventory", { params: { path: { id: agent.id } } }), "inventory");
    while (inventory.collected_at === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      inventory = expectOk(await authed.GET("/api/v1/agents/{id}/inventory", { params: { path: { id: agent.id } } }), "inventory");
    }
    expect(inventory.collected_at, "the agent sent its inventory").not.toBeNull();
    const dpkg = inventory.software.find((item) => item.name === "dpkg") ?? inventory.software[0];
    expect(dpkg, "this machine has packages").toBeDefined();

    await step("the Software tab lists and searches the packages", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/agents/${agent.id}?tab=software`);
      const table = page.getByTestId("software-table");
      await table.waitFor();
      await page.getByRole("searchbox", { name: "Search the packages" }).fill(dpkg.name);
      await page.locator('[data-testid="software-row"]', { hasText: dpkg.version }).first().waitFor();
      await page.getByTestId("software-sort-version").click();
      expect(await page.getByTestId("software-sort-version").getAttribute("aria-sort")).toBe("ascending");
    });

    await step("the Hardware tab shows the OS", async () => {
      await page.getByTestId("agent-tab-hardware").click();
      const os = page.getByTestId("inventory-os");
      await os.waitFor();
      expect(await os.textContent()).toContain(inventory.os?.name ?? "");
    });

    await step("the fleet's Software page lists the packages at once and finds the machine by version", async () => {
      await page.goto(`${baseUrl}/software`);
      // Package names with their machines at once, without typing anything first; then filtered.
      await page.getByTestId("software-package").first().waitFor();
      await page.getByLabel("Filter package names").fill(dpkg.name);
      const packageRow = page.locator(`[data-testid="software-package"][data-name="${dpkg.name}"]`);
      await packageRow.waitFor();
      const counted = expectOk(await authed.GET("/api/v1/software/summary", { params: { query: { q: dpkg.name } } }), "summary");
      const own = counted.items.find((item) => item.name === dpkg.name);
      expect(own?.agents).toBeGreaterThanOrEqual(1);
      expect(await packageRow.textContent()).toBe(`${dpkg.name}${own?.agents}${own?.versions}`);
      await page.getByTestId("software-name").fill(dpkg.name);
      await page.getByTestId("software-version-input").fill(`${dpkg.version}+newer`);
      await page.getByTestId("software-search-submit").click();
      const hit = page.locator(`[data-testid="software-hit"][data-agent-id="${agent.id}"]`);
      await hit.waitFor();
      expect(await hit.getByTestId("software-hit-version").textContent()).toBe(dpkg.version);
      expect(await hit.textContent()).toContain(agentHostname);
      // Below its own version: the machine is not listed.
      await page.getByTestId("software-version-input").fill(dpkg.version);
      await page.getByTestId("software-search-submit").click();
      await page.getByTestId("software-hits-empty").waitFor();
      expect(page.url()).toContain(`version=${encodeURIComponent(dpkg.version)}`);
    });

    await step("a refresh from the tab brings a newer inventory", async () => {
      await page.goto(`${baseUrl}/agents/${agent.id}?tab=services`);
      await page.getByTestId("inventory-status").waitFor();
      const before = await page.getByTestId("inventory-status").textContent();
      await page.getByTestId("inventory-refresh").click();
      await page.getByTestId("inventory-refreshing").waitFor();
      await page.getByTestId("inventory-refreshing").waitFor({ state: "detached", timeout: LIVE_TIMEOUT_MS });
      const after = expectOk(await authed.GET("/api/v1/agents/{id}/inventory", { params: { path: { id: agent.id } } }), "inventory");
      expect(after.collected_at).not.toBe(inventory.collected_at);
      expect(before).toContain("packages");
    });
  });
});
