//! The agents list as a technician starts work from it, against a real server: sorting by a column
//! header (on the server, kept in the URL), choosing columns, saving a view, selecting agents and
//! tagging, moving and deleting them in bulk with progress, and finding an agent with Ctrl+K.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, expectOk, LIVE_TIMEOUT_MS, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
beforeAll(() => {
  page = session.page;
});

/** The hostnames of the list's rows, top to bottom. */
async function rowHostnames(page: Page): Promise<string[]> {
  return page.getByTestId("agent-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-hostname") ?? ""));
}

async function waitForRows(page: Page, expected: string[]): Promise<void> {
  await expect.poll(() => rowHostnames(page), { timeout: 15_000 }).toEqual(expected);
}

describe("the agents list", () => {
  it("sorts, chooses columns, saves a view, tags, moves and deletes a selection, runs a command on one, and finds an agent with Ctrl+K", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const names = [`list-${unique}-a`, `list-${unique}-b`, `list-${unique}-c`];
    let siteA = "";
    let siteB = "";
    const ids: string[] = [];

    await step("enroll three agents at a new site through the API", async () => {
      const { anonymous, authed } = await apiClient();
      const client = expectOk(await authed.POST("/api/v1/clients", { body: { name: `E2E list ${unique}` } }), "creating a client");
      const a = expectOk(
        await authed.POST("/api/v1/clients/{id}/sites", { params: { path: { id: client.id } }, body: { name: "Site A" } }),
        "creating site A",
      );
      const b = expectOk(
        await authed.POST("/api/v1/clients/{id}/sites", { params: { path: { id: client.id } }, body: { name: "Site B" } }),
        "creating site B",
      );
      siteA = a.id;
      siteB = b.id;
      const key = expectOk(
        await authed.POST("/api/v1/sites/{id}/enrollment-keys", {
          params: { path: { id: siteA } },
          body: { label: "list e2e", max_uses: 3 },
        }),
        "creating a key",
      );
      // Versions in another order than the names, so sorting by version visibly reorders the rows.
      for (const [index, hostname] of names.entries()) {
        const enrolled = expectOk(
          await anonymous.POST("/api/v1/agent/enroll", {
            body: {
              enrollment_key: key.key,
              device_id: `e2e-list-${unique}-${index}`,
              hostname,
              os: { family: "linux", name: "Debian GNU/Linux", version: "12", kernel: null },
              arch: "x86_64",
              agent_version: ["0.0.2", "0.0.3", "0.0.1"][index] ?? "0.0.0",
            },
          }),
          `enrolling ${hostname}`,
        );
        ids.push(enrolled.agent_id);
      }
    });

    await step("log in and open the site's agents", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/agents?site_id=${siteA}`);
      await waitForRows(page, names);
    });

    await step("sort by agent version from its header, then the other way", async () => {
      await page.getByRole("button", { name: "Columns" }).click();
      await page.getByTestId("column-version").click();
      await page.keyboard.press("Escape");
      await page.getByTestId("sort-agent_version").click();
      await waitForRows(page, [names[2], names[0], names[1]] as string[]);
      expect(new URL(page.url()).searchParams.get("sort")).toBe("agent_version");
      await expect.poll(() => page.getByTestId("sort-agent_version").locator("xpath=..").getAttribute("aria-sort")).toBe("ascending");
      await page.getByTestId("sort-agent_version").click();
      await waitForRows(page, [names[1], names[0], names[2]] as string[]);
      expect(new URL(page.url()).searchParams.get("order")).toBe("desc");
      // The order survives a reload: it is in the URL and done by the server.
      await page.reload();
      await waitForRows(page, [names[1], names[0], names[2]] as string[]);
    });

    await step("save the view and apply it again from the Views menu", async () => {
      await page.getByTestId("saved-views").click();
      await page.getByTestId("save-view").click();
      await page.getByTestId("view-name").fill(`Versions ${unique}`);
      await page.getByTestId("view-save").click();
      await page.getByTestId("view-name").waitFor({ state: "detached" });
      await page.goto(`${baseUrl}/agents`);
      await page.getByTestId("saved-views").click();
      await page
        .getByTestId("saved-view")
        .filter({ hasText: `Versions ${unique}` })
        .click();
      await waitForRows(page, [names[1], names[0], names[2]] as string[]);
      expect(new URL(page.url()).searchParams.get("site_id")).toBe(siteA);
    });

    await step("tag the whole page in bulk", async () => {
      await page.getByTestId("select-page").check();
      await expect.poll(() => page.getByTestId("agent-selection-count").textContent()).toBe("3 agents selected");
      await page.getByTestId("bulk-tag").click();
      await page.getByTestId("bulk-tags-input").fill(`E2E-${unique}, patch-tuesday`);
      await page.getByTestId("bulk-submit").click();
      await expect.poll(() => page.getByTestId("bulk-progress-text").textContent()).toBe("Done: 3 succeeded, 0 failed.");
      await page.getByTestId("bulk-done").click();
      await expect.poll(() => page.getByTestId("agent-bulk-bar").count()).toBe(0);
      for (const row of await page.getByTestId("agent-row").all()) {
        await expect.poll(() => row.getByTestId("agent-tags").textContent()).toContain(`e2e-${unique}`);
      }
    });

    await step("move two agents to the other site", async () => {
      for (const name of [names[0], names[1]]) {
        await page.locator(`[data-testid="agent-row"][data-hostname="${name}"]`).getByTestId("select-agent").check();
      }
      await page.getByTestId("bulk-move").click();
      await page.getByTestId("move-client-select").click();
      await page.getByRole("option", { name: `E2E list ${unique}` }).click();
      await page.getByTestId("move-site-select").click();
      await page.getByRole("option", { name: "Site B" }).click();
      await page.getByTestId("bulk-submit").click();
      await expect.poll(() => page.getByTestId("bulk-progress-text").textContent()).toBe("Done: 2 succeeded, 0 failed.");
      await page.getByTestId("bulk-done").click();
      // The site's list follows at once: only the agent left behind is still there.
      await waitForRows(page, [names[2]] as string[]);
      await page.goto(`${baseUrl}/agents?site_id=${siteB}&tag=e2e-${unique}`);
      await waitForRows(page, [names[0], names[1]] as string[]);
    });

    await step("find an agent with Ctrl+K and open it", async () => {
      await page.keyboard.press("Control+k");
      await page.getByTestId("global-search-input").fill(`list-${unique}-c`);
      await expect.poll(() => page.getByTestId("global-search-hit").first().textContent()).toContain(names[2]);
      await page.keyboard.press("Enter");
      await page.waitForURL((url) => url.pathname === `/agents/${ids[2]}`);
      await page.getByRole("heading", { name: names[2] }).waitFor();
    });

    await step("run a command on a selection (the live agent) and read its output on the job page", async () => {
      await page.goto(`${baseUrl}/agents?q=${encodeURIComponent(agentHostname)}`);
      await waitForRows(page, [agentHostname]);
      await page.getByTestId("select-page").check();
      await page.getByTestId("run-command-on-target-button").click();
      const dialog = page.getByTestId("run-command-on-target-dialog");
      await dialog.getByTestId("command-input").fill(`echo bulk-${unique}`);
      await dialog.getByTestId("run-command-button").click();
      await page.waitForURL((url) => url.pathname.startsWith("/jobs/"));
      // A job of one agent opens that agent's output by itself; open it if it is not.
      const row = page.getByTestId("job-agent-row").first();
      await row.waitFor();
      if ((await row.getAttribute("data-expanded")) !== "true") await row.getByTestId("toggle-agent-output").click();
      const output = page.getByTestId("job-agent-output");
      await output
        .locator('[data-stream="stdout"]', { hasText: `bulk-${unique}` })
        .first()
        .waitFor({ timeout: LIVE_TIMEOUT_MS });
      await page.getByRole("heading", { name: `Command: echo bulk-${unique}` }).waitFor();
    });

    await step("delete the three agents in bulk", async () => {
      await page.goto(`${baseUrl}/agents?tag=e2e-${unique}`);
      await waitForRows(page, names);
      await page.getByTestId("select-page").check();
      await page.getByTestId("bulk-delete").click();
      await page.getByTestId("bulk-submit").click();
      await expect.poll(() => page.getByTestId("bulk-progress-text").textContent()).toBe("Done: 3 succeeded, 0 failed.");
      await page.getByTestId("bulk-done").click();
      await page.getByText("No agent matches these filters").waitFor();
    });
  });
});
