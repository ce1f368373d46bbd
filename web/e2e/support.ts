//! What every browser test shares: the server it runs against (from the environment), Debian's
//! Chromium through playwright-core, steps that save a screenshot when they fail, an API client for
//! what only a machine does, and signing in.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import createClient from "openapi-fetch";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { paths } from "../src/api/schema";

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set: the browser test runs against a real server (see web/README.md).`);
  return value;
}

export const baseUrl = requiredEnv("GURURMM_E2E_URL").replace(/\/+$/, "");
export const email = requiredEnv("GURURMM_E2E_EMAIL");
export const password = requiredEnv("GURURMM_E2E_PASSWORD");
export const agentHostname = requiredEnv("GURURMM_E2E_AGENT_HOSTNAME");
/**
 * The Windows agent under Wine that `cargo xtask browser` enrolls for the specs that need one (it
 * reports the host's name too, so it is found by OS family); unset where it cannot run.
 */
export const windowsAgentId = process.env.GURURMM_E2E_WINDOWS_AGENT_ID;
const chromiumPath = process.env.GURURMM_E2E_CHROMIUM ?? "/usr/bin/chromium";
const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results");

/** Long enough for an agent that just connected to report a couple of samples. */
export const LIVE_TIMEOUT_MS = 90_000;
/** A command on an online agent must show its output this fast: live, not from a periodic poll. */
export const PROMPT_MS = 10_000;

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The page's uncaught errors (`pageerror: …`) and console errors (`console: …`), in order. */
  errors: string[];
  /** Runs one step; on failure saves a screenshot named after it and adds the page's errors to the message. */
  step: (name: string, run: () => Promise<void>) => Promise<void>;
}

/** Opens Chromium before the file's tests and closes it after; the fields are set once `beforeAll` ran. */
export function setUpBrowser(): BrowserSession {
  const pageErrors: string[] = [];
  const session = {
    errors: pageErrors,
    step: async (name: string, run: () => Promise<void>) => {
      const started = Date.now();
      try {
        await run();
        console.log(`step "${name}": ${Date.now() - started} ms`);
      } catch (error) {
        mkdirSync(resultsDir, { recursive: true });
        const file = join(resultsDir, `e2e-failure-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`);
        await session.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        const detail = pageErrors.length > 0 ? `\nBrowser errors:\n${pageErrors.join("\n")}` : "";
        throw new Error(`step "${name}" failed (screenshot: ${file}) at ${session.page.url()}: ${String(error)}${detail}`, {
          cause: error,
        });
      }
    },
  } as BrowserSession;

  beforeAll(async () => {
    session.browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
    });
    // The smallest laptop screen the dashboard is meant for.
    session.context = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
    session.context.setDefaultTimeout(20_000);
    session.page = await session.context.newPage();
    session.page.on("pageerror", (error) => pageErrors.push(`pageerror: ${error.message}`));
    session.page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await session.context?.close();
    await session.browser?.close();
  });

  return session;
}

/** Signs in through the login page and waits for the home page, the fleet overview. */
export async function logIn(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Fail fast with the server's message when the credentials are refused.
  const refused = page
    .getByTestId("login-error")
    .waitFor()
    .then(async () => {
      throw new Error(`login refused: ${await page.getByTestId("login-error").textContent()}`);
    });
  await Promise.race([page.waitForURL((url) => url.pathname === "/"), refused]);
  refused.catch(() => undefined);
  await page.getByRole("heading", { name: "Overview", exact: true }).waitFor();
}

/**
 * The API as a script sees it, for what only a machine does (enrolling). It logs in on its own and
 * sends a bearer token, which keeps working for API clients wherever the dashboard keeps its session.
 */
export async function apiClient() {
  const anonymous = createClient<paths>({ baseUrl });
  const login = await anonymous.POST("/api/v1/auth/login", { body: { email, password } });
  if (!login.data) throw new Error(`API login failed with ${login.response.status}: ${JSON.stringify(login.error)}`);
  return { anonymous, authed: createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${login.data.token}` } }) };
}

/** The data of an API answer, or an error with its status and body. */
export function expectOk<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`${what} failed with ${result.response.status}: ${JSON.stringify(result.error)}`);
  return result.data;
}

/** The suite's live agent as the agent list shows it; an error when it is not online. */
export async function onlineAgent(authed: ReturnType<typeof createClient<paths>>) {
  const agents = expectOk(
    await authed.GET("/api/v1/agents", { params: { query: { status: "online", q: agentHostname } } }),
    "listing agents",
  );
  const agent = agents.items.find((candidate) => candidate.hostname === agentHostname);
  if (!agent) throw new Error(`no online agent ${agentHostname}`);
  return agent;
}

/** Opens the page header's "Run script" dialog and picks the script named `scriptName`; answers the dialog. */
export async function pickScriptToRun(page: Page, scriptName: string) {
  await page.getByTestId("run-script-on-target-button").click();
  const dialog = page.getByTestId("run-script-on-target-dialog");
  await dialog.getByRole("searchbox", { name: "Search scripts" }).fill(scriptName);
  await dialog.locator(`[data-testid="script-pick"][data-name="${scriptName}"]`).click();
  return dialog;
}
