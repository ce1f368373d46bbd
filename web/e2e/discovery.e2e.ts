//! Network discovery in the browser against a real server and the suite's real agent (on this
//! machine): from the site's page to its discovery page, a scan of 127.0.0.1 on a port this spec
//! listens on and one it keeps closed runs to completion, the device is listed with the open port
//! only, and a technician's name for it is kept.
import { createServer, type Server } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_TIMEOUT_MS, apiClient, baseUrl, expectOk, logIn, onlineAgent, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
const servers: Server[] = [];

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP server on 127.0.0.1 at a port the system picks; answers its port. */
async function listenOnLoopback(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test server has no port");
  return { server, port: address.port };
}

describe("network discovery", () => {
  it("scans the agent's loopback from the site's page and lists the device with its open port", async () => {
    const { authed } = await apiClient();
    const agent = await onlineAgent(authed);
    const open = await listenOnLoopback();
    servers.push(open.server);
    // A port that was just free and is closed again: the agent's probe is refused there.
    const closed = await listenOnLoopback();
    await new Promise((resolve) => closed.server.close(resolve));
    const deviceName = `E2E discovery ${Date.now()}`;

    await step("the site's page leads to its discovery page", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/sites/${agent.site_id}`);
      await page.getByTestId("site-discovery-link").click();
      await page.waitForURL((url) => url.pathname === `/sites/${agent.site_id}/discovery`);
      await page.getByRole("heading", { name: "Network discovery" }).waitFor();
    });

    await step("a scan of 127.0.0.1 runs to completion", async () => {
      await page.getByTestId("scan-form").waitFor();
      await page.getByTestId("scan-agent-select").click();
      await page.locator(`[data-testid="scan-agent-option"][data-agent-id="${agent.id}"]`).click();
      await page.getByTestId("scan-ranges-input").fill("127.0.0.1/32");
      await page.getByTestId("scan-ports-input").fill(`${open.port}, ${closed.port}`);
      await page.getByTestId("scan-start").click();
      // The answer to the start is the queued scan, so its progress shows before the agent reports.
      await page.getByRole("progressbar", { name: "Scan progress" }).waitFor();
      const outcome = page.getByTestId("scan-outcome-text");
      await outcome.waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(await outcome.textContent()).toMatch(/^Completed: 1 host, \d+ new, \d+ missing$/);
      await page.locator('[data-testid="scan-history-row"][data-status="completed"]').first().waitFor();
    });

    await step("the device is listed with the open port only", async () => {
      const row = page.locator('[data-testid="device-row"][data-ip="127.0.0.1"]');
      await row.waitFor();
      const ports = await row.getByTestId("device-ports").textContent();
      expect(ports?.split(", ")).toContain(String(open.port));
      expect(ports?.split(", ")).not.toContain(String(closed.port));
    });

    await step("a technician names the device", async () => {
      const row = page.locator('[data-testid="device-row"][data-ip="127.0.0.1"]');
      await row.getByRole("button", { name: "Edit 127.0.0.1" }).click();
      const dialog = page.getByTestId("device-edit-dialog");
      await dialog.getByTestId("device-name-input").fill(deviceName);
      await dialog.getByTestId("device-save").click();
      await dialog.waitFor({ state: "detached" });
      await row.getByTestId("device-name").getByText(deviceName).waitFor();
      // Kept by the server, not only shown.
      await page.reload();
      await page.locator('[data-testid="device-row"][data-ip="127.0.0.1"]').getByText(deviceName).waitFor();
      const devices = expectOk(
        await authed.GET("/api/v1/sites/{id}/devices", { params: { path: { id: agent.site_id } } }),
        "listing the site's devices",
      );
      expect(devices.items.find((device) => device.ip === "127.0.0.1")?.name).toBe(deviceName);
    });
  });
});
