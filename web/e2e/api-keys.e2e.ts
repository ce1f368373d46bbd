//! API keys and the organization's second-factor rule in the browser against a real server. The
//! administrator makes an API key on the API keys page, copies the key it shows once, lists agents
//! with it as a script would, revokes it on the page and the same call is refused. Then a new owner
//! turns on two-factor authentication and requires it of everybody on the organization page; a
//! technician without one who signs in is sent to their account page, which says why, and stays
//! there. Everything made is removed, and the requirement turned off, afterwards.
import createClient from "openapi-fetch";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../src/api/schema";
import { agentHostname, apiClient, baseUrl, expectOk, logIn, setUpBrowser } from "./support";
import { totpCode } from "./totp";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let ownerContext: BrowserContext | undefined;
let technicianContext: BrowserContext | undefined;
/** What this file makes, removed afterwards. */
const made = { keyId: "", userEmails: [] as string[] };

beforeAll(async () => {
  page = session.page;
  // The copy button writes to the clipboard, which the test reads back like a person pasting.
  await session.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
});

afterAll(async () => {
  // The requirement off first, by the owner who turned it on (the suite's administrator has no second
  // factor, so until then the server refuses it everything), should the test have stopped before.
  if (ownerContext) {
    const csrf = (await ownerContext.cookies(baseUrl)).find((cookie) => cookie.name === "gururmm_csrf")?.value;
    if (csrf) {
      await ownerContext.request.patch(`${baseUrl}/api/v1/organization`, {
        headers: { "X-CSRF-Token": csrf },
        data: { require_second_factor: false },
      });
    }
  }
  await ownerContext?.close();
  await technicianContext?.close();
  const { authed } = await apiClient();
  if (made.keyId) await authed.DELETE("/api/v1/api-keys/{id}", { params: { path: { id: made.keyId } } });
  const users = (await authed.GET("/api/v1/users")).data?.items ?? [];
  for (const user of users.filter((item) => made.userEmails.includes(item.email))) {
    await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: user.id } } });
  }
});

/** Lists agents as a script holding `key` would. */
function listAgentsWithKey(key: string): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/agents`, { headers: { Authorization: `Bearer ${key}` } });
}

/** The row of the API keys table for the key named `name`. */
function keyRow(page: Page, name: string) {
  return page.locator(`[data-testid="api-key-row"][data-name="${name}"]`);
}

/** Invites `who` with `role` through the API as the suite's administrator and accepts the link, as the person would. */
async function addUser(who: string, role: "owner" | "technician", password: string) {
  const { authed } = await apiClient();
  const invitation = expectOk(await authed.POST("/api/v1/users", { body: { email: who, role } }), `inviting ${who}`);
  made.userEmails.push(who);
  const token = new URL(invitation.link ?? "").hash.replace(/^#token=/, "");
  expect(token).toMatch(/^gri_/);
  const anonymous = createClient<paths>({ baseUrl });
  expectOk(await anonymous.POST("/api/v1/auth/link/accept", { body: { token, password } }), `accepting ${who}'s invitation`);
}

/** A fresh browser signed in as `who` through the login page; only uncaught page errors are kept. */
async function signInFresh(who: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
  context.setDefaultTimeout(20_000);
  const fresh = await context.newPage();
  fresh.on("pageerror", (error) => session.errors.push(`${who} pageerror: ${error.message}`));
  await fresh.goto(`${baseUrl}/login`);
  await fresh.getByLabel("Email").fill(who);
  await fresh.getByLabel("Password").fill(password);
  await fresh.getByRole("button", { name: "Sign in" }).click();
  await fresh.waitForURL((url) => url.pathname !== "/login");
  await fresh.getByTestId("user-menu").filter({ hasText: who }).waitFor();
  return { context, page: fresh };
}

describe("API keys and the organization's second-factor rule against a live server", () => {
  it("makes a key in the dashboard, lists agents with the copied key, revokes it and the key is refused", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const keyName = `E2E key ${unique}`;
    let key = "";

    await step("the administrator opens API keys from the user menu", async () => {
      await logIn(page);
      await page.getByTestId("user-menu").click();
      await page.getByRole("menuitem", { name: "API keys" }).click();
      await page.waitForURL((url) => url.pathname === "/api-keys");
      await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    });

    await step("they make a key that may read the fleet and are shown it once, with a copy button", async () => {
      await page.getByTestId("create-api-key-button").click();
      const dialog = page.getByTestId("create-api-key-dialog");
      await dialog.getByLabel("Name", { exact: true }).fill(keyName);
      await dialog.locator('[data-testid="api-key-permission"][data-permission="view_agents"]').check();
      await dialog.getByTestId("api-key-submit").click();
      const shown = dialog.getByTestId("api-key-secret");
      await shown.waitFor();
      const text = ((await shown.textContent()) ?? "").trim();
      expect(text).toMatch(/^gra_[0-9a-f]{64}$/);
      expect(await dialog.getByTestId("api-key-shown-once").textContent()).toContain("You will not see it again");
      await dialog.getByRole("button", { name: "Copy key" }).click();
      await dialog.getByRole("button", { name: "Copied" }).waitFor();
      key = await page.evaluate(() => navigator.clipboard.readText());
      expect(key).toBe(text);
      await dialog.getByTestId("api-key-done").click();
      await dialog.waitFor({ state: "detached" });
      const row = keyRow(page, keyName);
      await row.waitFor();
      expect(await row.getByTestId("api-key-status").textContent()).toBe("Active");
      expect(await row.getByTestId("api-key-permissions").textContent()).toBe("view_agents");
      expect(await row.getByTestId("api-key-last-used").textContent()).toBe("never");
      // The key is not on the page any more.
      expect(await page.getByText(key).count()).toBe(0);
      const { authed } = await apiClient();
      made.keyId = (await authed.GET("/api/v1/api-keys")).data?.items.find((item) => item.name === keyName)?.id ?? "";
    });

    await step("the copied key lists the agents, as a script would", async () => {
      const answer = await listAgentsWithKey(key);
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as { items: { hostname: string }[] };
      expect(body.items.map((agent) => agent.hostname)).toContain(agentHostname);
    });

    await step("the list shows the key's use", async () => {
      await expect
        .poll(
          async () => {
            await page.reload();
            return keyRow(page, keyName).getByTestId("api-key-last-used").textContent();
          },
          { timeout: 15_000, interval: 1_000 },
        )
        .not.toBe("never");
    });

    await step("they revoke it after confirming, and it is marked revoked", async () => {
      const row = keyRow(page, keyName);
      await row.getByRole("button", { name: `Revoke ${keyName}` }).click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain("It stops working at once");
      await confirm.getByRole("button", { name: "Revoke", exact: true }).click();
      await confirm.waitFor({ state: "detached" });
      await page.locator(`[data-testid="api-key-row"][data-name="${keyName}"][data-state="revoked"]`).waitFor();
      expect(await row.getByTestId("api-key-status").textContent()).toBe("Revoked");
    });

    await step("the same call with the revoked key is refused", async () => {
      const answer = await listAgentsWithKey(key);
      expect(answer.status).toBe(401);
    });
  });

  it("sends a user without a second factor to their account page once an owner requires one of everybody", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const ownerEmail = `owner-${unique}@e2e.test`;
    const ownerPassword = `owner password ${unique}`;
    const technicianEmail = `no-second-factor-${unique}@e2e.test`;
    const technicianPassword = `technician password ${unique}`;

    await step("an owner and a technician join", async () => {
      await addUser(ownerEmail, "owner", ownerPassword);
      await addUser(technicianEmail, "technician", technicianPassword);
    });

    let ownerPage!: Page;
    await step("the owner signs in and turns on two-factor authentication on their account page", async () => {
      ({ context: ownerContext, page: ownerPage } = await signInFresh(ownerEmail, ownerPassword));
      await ownerPage.getByTestId("user-menu").click();
      await ownerPage.getByRole("menuitem", { name: "Your account" }).click();
      const card = ownerPage.getByTestId("two-factor-card");
      await card.getByRole("button", { name: "Set up two-factor authentication" }).click();
      const secret = ((await card.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
      await card.getByLabel("2. Enter the 6-digit code the app shows").fill(totpCode(secret));
      await card.getByRole("button", { name: "Turn on" }).click();
      await card.getByRole("button", { name: "I have saved them" }).click();
      await card.getByTestId("recovery-codes").waitFor({ state: "detached" });
      expect(await card.getByTestId("two-factor-status").textContent()).toBe("On");
    });

    await step("on the organization page, from the navigation, they require a second factor of every user", async () => {
      await ownerPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Organization", exact: true }).click();
      await ownerPage.waitForURL((url) => url.pathname === "/organization");
      await ownerPage.getByRole("heading", { level: 1, name: "Organization" }).waitFor();
      const toggle = ownerPage.getByRole("switch", { name: "Require a second factor for every user" });
      expect(await toggle.getAttribute("aria-checked")).toBe("false");
      const without = ownerPage.getByTestId("users-without-second-factor");
      await without.getByText(technicianEmail, { exact: true }).waitFor();
      expect(await without.getByText(ownerEmail, { exact: true }).count()).toBe(0);
      await toggle.click();
      await ownerPage.locator('[data-testid="require-second-factor"][aria-checked="true"]').waitFor();
      await ownerPage.getByText("They are asked to set one up the next time they use the dashboard").waitFor();
    });

    let technicianPage!: Page;
    await step("the technician signs in and is sent to their account page, which says why", async () => {
      ({ context: technicianContext, page: technicianPage } = await signInFresh(technicianEmail, technicianPassword));
      await technicianPage.waitForURL((url) => url.pathname === "/account");
      const notice = technicianPage.getByTestId("second-factor-required-notice");
      await notice.waitFor();
      expect(await notice.textContent()).toContain("requires two-factor authentication");
      expect(await notice.textContent()).toContain("Set up two-factor authentication below before you continue");
      await technicianPage.getByTestId("two-factor-card").getByRole("button", { name: "Set up two-factor authentication" }).waitFor();
    });

    await step("any other page sends them back there", async () => {
      await technicianPage.goto(`${baseUrl}/clients`);
      await technicianPage.waitForURL((url) => url.pathname === "/account");
      await technicianPage.getByTestId("second-factor-required-notice").waitFor();
      await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
      await technicianPage.waitForURL((url) => url.pathname === "/account");
      await technicianPage.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
      expect(await technicianPage.getByRole("heading", { level: 1, name: "Agents" }).count()).toBe(0);
    });

    await step("the owner turns the requirement off again", async () => {
      const toggle = ownerPage.getByRole("switch", { name: "Require a second factor for every user" });
      await toggle.click();
      await ownerPage.locator('[data-testid="require-second-factor"][aria-checked="false"]').waitFor();
      // The suite's administrator may work again, as the other specs need.
      const { authed } = await apiClient();
      expectOk(await authed.GET("/api/v1/users"), "listing users as the suite's administrator");
    });
  });
});
