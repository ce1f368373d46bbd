//! Secrets in the browser against a real server and its live agent: the administrator writes a script
//! with a secret parameter and a default environment variable in the dashboard; a technician (who may
//! run scripts but not read secrets) sees both as hidden, runs the script on the agent with the stored
//! values, and no page they see ever holds the secret text.
import createClient from "openapi-fetch";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../src/api/schema";
import { agentHostname, apiClient, baseUrl, expectOk, LIVE_TIMEOUT_MS, logIn, onlineAgent, pickScriptToRun, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let technicianContext: BrowserContext | undefined;
let technicianEmail = "";
let scriptId = "";

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await technicianContext?.close();
  const { authed } = await apiClient();
  if (scriptId) await authed.DELETE("/api/v1/scripts/{id}", { params: { path: { id: scriptId } } });
  if (technicianEmail) {
    const technician = (await authed.GET("/api/v1/users")).data?.items.find((user) => user.email === technicianEmail);
    if (technician) await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: technician.id } } });
  }
});

/** Invites a technician through the API and accepts the invitation with a password, as the link would. */
async function createTechnician(emailAddress: string, technicianPassword: string) {
  const { authed } = await apiClient();
  const created = expectOk(await authed.POST("/api/v1/users", { body: { email: emailAddress, role: "technician" } }), "inviting");
  const token = /#token=([^&]+)$/.exec(created.link ?? "")?.[1];
  if (!token) throw new Error(`the invitation has no link to use: ${JSON.stringify(created)}`);
  const anonymous = createClient<paths>({ baseUrl });
  expectOk(await anonymous.POST("/api/v1/auth/link/accept", { body: { token, password: technicianPassword } }), "accepting");
}

describe("secrets against a live server", () => {
  it("hides a script's secrets from a technician who still runs it with them", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const scriptName = `E2E secrets ${unique}`;
    const parameterSecret = `param-secret-${unique}`;
    const envSecret = `env-secret-${unique}`;
    technicianEmail = `secrets-technician-${unique}@e2e.test`;
    const technicianPassword = `technician password ${unique}`;
    const { authed } = await apiClient();
    const agent = await onlineAgent(authed);
    // Shows that both secrets reached the script by their lengths, without printing them (output is
    // not a secret), and that the secret parameter is no positional argument ($# is 0).
    const body = 'echo "secrets arrived: $# ${#DB_PASSWORD} ${#API_TOKEN}"';
    const expectedOutput = `secrets arrived: 0 ${parameterSecret.length} ${envSecret.length}`;

    await step("the administrator writes the script with a secret parameter and a default variable", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/scripts/new`);
      await page.getByTestId("script-name-input").fill(scriptName);
      const code = page.getByLabel("Script code");
      await code.click();
      await page.keyboard.insertText(body);
      await page.getByTestId("add-parameter-button").click();
      await page.getByLabel("Parameter 1 name").fill("DB_PASSWORD");
      await page.getByLabel("Parameter 1 type").click();
      await page.getByRole("option", { name: "Secret", exact: true }).click();
      const secretDefault = page.getByLabel("Parameter 1 default");
      expect(await secretDefault.getAttribute("type")).toBe("password");
      await secretDefault.fill(parameterSecret);
      await page.getByTestId("secret-parameter-hint").waitFor();
      await page.getByLabel("Environment (NAME=value per line)").fill(`API_TOKEN=${envSecret}`);
      await page.getByTestId("save-script-button").click();
      await page.waitForURL(/\/scripts\/[0-9a-f-]{36}$/);
      scriptId = /\/scripts\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? "";
      await page.getByTestId("script-version").filter({ hasText: "v1" }).waitFor();
      const stored = expectOk(await authed.GET("/api/v1/scripts/{id}", { params: { path: { id: scriptId } } }), "reading the script");
      expect(stored.current.default_env).toEqual({ API_TOKEN: envSecret });
      expect(stored.current.parameters).toEqual([
        expect.objectContaining({ name: "DB_PASSWORD", type: "secret", default: parameterSecret }),
      ]);
      expect(stored.current.body).toBe(body);
    });

    let technicianPage!: Page;
    await step("a technician signs in", async () => {
      await createTechnician(technicianEmail, technicianPassword);
      technicianContext = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
      technicianContext.setDefaultTimeout(20_000);
      technicianPage = await technicianContext.newPage();
      technicianPage.on("pageerror", (error) => session.errors.push(`technician pageerror: ${error.message}`));
      await technicianPage.goto(`${baseUrl}/login`);
      await technicianPage.getByLabel("Email").fill(technicianEmail);
      await technicianPage.getByLabel("Password").fill(technicianPassword);
      await technicianPage.getByRole("button", { name: "Sign in" }).click();
      await technicianPage.waitForURL((url) => url.pathname === "/");
    });

    await step("the technician sees the variable and the parameter's default as hidden", async () => {
      await technicianPage.goto(`${baseUrl}/scripts/${scriptId}`);
      await technicianPage.getByTestId("script-version").filter({ hasText: "v1" }).waitFor();
      const row = technicianPage.locator('[data-testid="hidden-env-row"][data-name="API_TOKEN"]');
      await row.waitFor();
      expect(await row.getByTestId("hidden-env-value").textContent()).toBe("hidden — unchanged");
      expect(await technicianPage.getByTestId("hidden-default").textContent()).toContain("hidden — unchanged");
      const content = await technicianPage.content();
      expect(content).not.toContain(parameterSecret);
      expect(content).not.toContain(envSecret);
      expect(content).not.toContain("********");
    });

    await step("the technician runs it on the agent with the stored secrets", async () => {
      await technicianPage.goto(`${baseUrl}/agents/${agent.id}`);
      await technicianPage.getByTestId("agent-hostname").filter({ hasText: agentHostname }).waitFor();
      const dialog = await pickScriptToRun(technicianPage, scriptName);
      const password = dialog.getByTestId("run-parameter-DB_PASSWORD");
      expect(await password.getAttribute("type")).toBe("password");
      expect(await password.getAttribute("placeholder")).toBe("default set (hidden)");
      expect(await password.inputValue()).toBe("");
      await dialog.getByTestId("run-script-submit").click();
      await technicianPage.waitForURL(/\/jobs\/[0-9a-f-]{36}/);
      const output = technicianPage.getByTestId("job-agent-output");
      await output.locator('[data-stream="stdout"]', { hasText: "secrets arrived" }).first().waitFor({ timeout: LIVE_TIMEOUT_MS });
      await output.getByTestId("command-exit-code").filter({ hasText: "0" }).waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect((await output.getByTestId("command-output").textContent())?.trim()).toBe(expectedOutput);
      const env = output.getByTestId("command-env");
      expect(await env.locator('[data-name="API_TOKEN"]').textContent()).toBe("API_TOKEN=hidden");
      expect(await env.locator('[data-name="DB_PASSWORD"]').textContent()).toBe("DB_PASSWORD=hidden");
      const content = await technicianPage.content();
      expect(content).not.toContain(parameterSecret);
      expect(content).not.toContain(envSecret);
    });
  });
});
