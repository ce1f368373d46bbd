//! A credential vault entry as a script's secret parameter, in the browser against a real server and
//! its live agent: the administrator runs a script from the agent's page with the parameter taken
//! "From the vault", the real agent's process gets the value (the script prints its length and a hash
//! of it, never the value), and the job, the command and the page show the entry's name, never the
//! value.
import { createHash } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, expectOk, LIVE_TIMEOUT_MS, logIn, onlineAgent, pickScriptToRun, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let scriptId = "";
let entryId = "";

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  const { authed } = await apiClient();
  if (scriptId) await authed.DELETE("/api/v1/scripts/{id}", { params: { path: { id: scriptId } } });
  if (entryId) await authed.DELETE("/api/v1/vault/{id}", { params: { path: { id: entryId } } });
});

describe("a vault entry as a script parameter against a live server", () => {
  it("reaches the agent's process while every page shows only the entry's name", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const secret = `Vault-param-${unique}-s3cret!`;
    const entryName = `E2E domain admin ${unique}`;
    const scriptName = `E2E vault parameter ${unique}`;
    const { authed } = await apiClient();
    const agent = await onlineAgent(authed);
    const entry = expectOk(
      await authed.POST("/api/v1/clients/{id}/vault", {
        params: { path: { id: agent.client_id } },
        body: { name: entryName, kind: "password", notes: "", secret },
      }),
      "adding the vault entry",
    );
    entryId = entry.id;
    // The length and a hash show the value arrived, without printing it.
    const body = 'printf "vault value: %s %s\\n" "${#DB_PASSWORD}" "$(printf %s "$DB_PASSWORD" | sha256sum | cut -c1-16)"';
    const expectedOutput = `vault value: ${secret.length} ${createHash("sha256").update(secret).digest("hex").slice(0, 16)}`;
    const script = expectOk(
      await authed.POST("/api/v1/scripts", {
        body: {
          name: scriptName,
          command_type: "shell",
          body,
          parameters: [{ name: "DB_PASSWORD", type: "secret", required: true }],
        },
      }),
      "adding the script",
    );
    scriptId = script.id;

    await step("run it from the agent's page with the parameter from the vault", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/agents/${agent.id}`);
      await page.getByTestId("agent-hostname").filter({ hasText: agentHostname }).waitFor();
      const dialog = await pickScriptToRun(page, scriptName);
      await dialog.getByTestId("run-parameter-source-DB_PASSWORD-vault").click();
      await dialog.getByTestId("run-parameter-vault-DB_PASSWORD").click();
      await page.getByRole("option", { name: `${entryName} (Password)` }).click();
      await dialog.getByTestId("run-script-submit").click();
      await page.waitForURL(/\/jobs\/[0-9a-f-]{36}/);
    });

    await step("the agent's process got the value; the job and the command show the entry's name", async () => {
      const output = page.getByTestId("job-agent-output");
      await output.getByTestId("command-exit-code").filter({ hasText: "0" }).waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect((await output.getByTestId("command-output").textContent())?.trim()).toBe(expectedOutput);
      const variable = output.getByTestId("command-env").locator('[data-name="DB_PASSWORD"]');
      expect(await variable.textContent()).toBe(`DB_PASSWORD=vault: ${entryName}`);
      const parameter = page.locator('[data-testid="job-parameter"][data-name="DB_PASSWORD"]');
      expect(await parameter.textContent()).toBe(`DB_PASSWORD=vault: ${entryName}`);
      expect(await page.content()).not.toContain(secret);
    });

    await step("the API and the audit log hold the reference, never the value", async () => {
      const jobId = /\/jobs\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? "";
      const job = expectOk(await authed.GET("/api/v1/jobs/{id}", { params: { path: { id: jobId } } }), "reading the job");
      expect(job.parameters).toEqual({ DB_PASSWORD: { vault_entry_id: entryId, entry_name: entryName } });
      const commandId = job.agents[0]?.command_id ?? "";
      const command = expectOk(await authed.GET("/api/v1/commands/{id}", { params: { path: { id: commandId } } }), "reading the command");
      expect(command.vault_env).toEqual({ DB_PASSWORD: { vault_entry_id: entryId, entry_name: entryName } });
      expect(JSON.stringify(command)).not.toContain(secret);
      const log = expectOk(await authed.GET("/api/v1/audit", { params: { query: { action: "vault_entry_used" } } }), "reading the log");
      expect(log.items.some((event) => event.target === `vault/${entryId}`)).toBe(true);
      expect(JSON.stringify(log)).not.toContain(secret);
    });
  });
});
