//! Custom fields in the browser against a real server and its live agent: define an agent text field
//! and a client choice field, set values on the agent's and its client's pages, filter the agents
//! list by each, and run a script whose parameter comes from the agent's field.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, expectOk, LIVE_TIMEOUT_MS, logIn, onlineAgent, pickScriptToRun, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
beforeAll(() => {
  page = session.page;
});

async function rowHostnames(page: Page): Promise<string[]> {
  return page.getByTestId("agent-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-hostname") ?? ""));
}

/** Defines a field through the settings page's dialog. */
async function defineField(page: Page, scope: "Agents" | "Clients", kind: "Text" | "Choice", name: string, choices?: string) {
  await page.getByTestId("new-custom-field-button").click();
  const dialog = page.getByTestId("custom-field-dialog");
  await dialog.getByTestId("custom-field-scope").click();
  await page.getByRole("option", { name: scope, exact: true }).click();
  await dialog.getByTestId("custom-field-kind").click();
  await page.getByRole("option", { name: kind, exact: true }).click();
  await dialog.getByTestId("custom-field-name").fill(name);
  if (choices) await dialog.getByTestId("custom-field-choices").fill(choices);
  await dialog.getByTestId("custom-field-save").click();
  await dialog.waitFor({ state: "detached" });
}

describe("custom fields against a live server", () => {
  it("defines fields, sets values on agent and client pages, filters the agents list and feeds a script parameter", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const assetKey = `asset_tag_${unique}`;
    const tierKey = `tier_${unique}`;
    const assetValue = `A-${unique}`;
    const { authed } = await apiClient();
    const agent = await onlineAgent(authed);

    await step("define an agent text field and a client choice field on the settings page", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/custom-fields`);
      await defineField(page, "Agents", "Text", `Asset tag ${unique}`);
      await defineField(page, "Clients", "Choice", `Tier ${unique}`, "Gold\nSilver");
      await page.getByTestId("custom-fields-agent").locator(`[data-testid="custom-field-row"][data-key="${assetKey}"]`).waitFor();
      const tierRow = page.getByTestId("custom-fields-client").locator(`[data-testid="custom-field-row"][data-key="${tierKey}"]`);
      await tierRow.waitFor();
      expect(await tierRow.textContent()).toContain("Gold, Silver");
    });

    await step("set the agent's value on its page", async () => {
      await page.goto(`${baseUrl}/agents/${agent.id}`);
      const card = page.getByTestId("custom-fields-card");
      await card.getByTestId("edit-custom-values").click();
      await card.getByTestId(`custom-input-${assetKey}`).fill(assetValue);
      await card.getByTestId("save-custom-values").click();
      await expect.poll(() => card.getByTestId(`custom-value-${assetKey}`).textContent(), { timeout: 10_000 }).toBe(assetValue);
    });

    await step("set the client's tier on the client page", async () => {
      await page.goto(`${baseUrl}/clients/${agent.client_id}`);
      const card = page.getByTestId("custom-fields-card");
      await card.getByTestId("edit-custom-values").click();
      await card.getByTestId(`custom-input-${tierKey}`).click();
      await page.getByRole("option", { name: "Gold", exact: true }).click();
      await card.getByTestId("save-custom-values").click();
      await expect.poll(() => card.getByTestId(`custom-value-${tierKey}`).textContent(), { timeout: 10_000 }).toBe("Gold");
    });

    await step("filter the agents list by the agent's field, then by its client's", async () => {
      await page.goto(`${baseUrl}/agents`);
      await page.getByTestId("agent-row").first().waitFor();
      await page.getByTestId("filter-custom-field-key").click();
      await page.getByRole("option", { name: `Asset tag ${unique}` }).click();
      await page.getByRole("searchbox", { name: "Custom field value" }).fill(assetValue.toLowerCase());
      await expect.poll(() => rowHostnames(page), { timeout: 15_000 }).toEqual([agentHostname]);
      expect(new URL(page.url()).searchParams.get("custom_field")).toBe(assetKey);

      await page.getByTestId("filter-custom-field-key").click();
      await page.getByRole("option", { name: `Tier ${unique}` }).click();
      await page.getByTestId("filter-custom-field-value").click();
      await page.getByRole("option", { name: "Silver", exact: true }).click();
      await expect.poll(() => rowHostnames(page), { timeout: 15_000 }).toEqual([]);
      await page.getByTestId("filter-custom-field-value").click();
      await page.getByRole("option", { name: "Gold", exact: true }).click();
      await expect.poll(() => rowHostnames(page), { timeout: 15_000 }).toContain(agentHostname);
      expect(new URL(page.url()).searchParams.get("custom_value")).toBe("Gold");
    });

    await step("run a script whose parameter comes from the agent's field and see the value in its output", async () => {
      const scriptName = `E2E custom field ${unique}`;
      expectOk(
        await authed.POST("/api/v1/scripts", {
          body: {
            name: scriptName,
            command_type: "script",
            interpreter: "bash",
            body: 'echo "asset=$1 env=$Asset"\n',
            parameters: [{ name: "Asset", type: "string", required: true, custom_field: assetKey }],
          },
        }),
        "creating the script",
      );
      await page.goto(`${baseUrl}/agents/${agent.id}`);
      const dialog = await pickScriptToRun(page, scriptName);
      await expect
        .poll(() => dialog.getByTestId("run-parameter-from-Asset").textContent(), { timeout: 10_000 })
        .toContain(`from each agent's Asset tag ${unique}`);
      expect(await dialog.getByTestId("run-parameter-Asset").inputValue()).toBe("");
      await dialog.getByTestId("run-script-submit").click();
      await page.waitForURL(/\/jobs\/[0-9a-f-]{36}/);
      const output = page.getByTestId("job-agent-output");
      await output.locator('[data-stream="stdout"]', { hasText: assetValue }).first().waitFor({ timeout: LIVE_TIMEOUT_MS });
      await page.locator('[data-testid="job-page"][data-status="done"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect((await output.getByTestId("command-output").textContent())?.trim()).toBe(`asset=${assetValue} env=${assetValue}`);
    });
  });
});
