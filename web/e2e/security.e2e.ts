//! The audit log and the second factor in the browser against a real server: the administrator
//! signs in, creates a client and finds both in the audit log, whose chain is intact and whose
//! export follows the filters; a new user turns on two-factor authentication on their account page
//! (the test computes the app's codes from the key the page shows), keeps the recovery codes, and
//! signs in again through the login page's second step with a code and with a recovery code; the
//! administrator resets it and the user signs in with the password alone. Everything made is
//! removed afterwards.
import createClient from "openapi-fetch";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../src/api/schema";
import { apiClient, baseUrl, email, expectOk, logIn, setUpBrowser } from "./support";
import { totpCode, totpStep } from "./totp";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let userContext: BrowserContext | undefined;
/** What this file makes, removed afterwards. */
const made = { clientId: "", userEmail: "" };

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await userContext?.close();
  const { authed } = await apiClient();
  if (made.clientId) await authed.DELETE("/api/v1/clients/{id}", { params: { path: { id: made.clientId } } });
  if (made.userEmail) {
    const user = (await authed.GET("/api/v1/users")).data?.items.find((item) => item.email === made.userEmail);
    if (user) {
      // Its second factor off first, should the test have stopped before the administrator reset it.
      if (user.second_factor) await authed.POST("/api/v1/users/{id}/reset-second-factor", { params: { path: { id: user.id } } });
      await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: user.id } } });
    }
  }
});

/** The rows of the audit table, newest first. */
function auditRows(page: Page) {
  return page.getByTestId("audit-row");
}

/** Picks an action in the audit log's filter and waits for the URL to follow. */
async function filterByAction(page: Page, label: string, action: string) {
  await page.getByTestId("audit-action-filter").click();
  await page.getByRole("option", { name: label, exact: true }).click();
  await page.waitForURL((url) => url.searchParams.get("action") === action);
  await page.locator(`[data-testid="audit-row"][data-action="${action}"]`).first().waitFor();
}

/** Signs in through the login page; a second step, when shown, is the caller's. */
async function fillSignIn(page: Page, who: string, password: string) {
  await page.getByLabel("Email").fill(who);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page: Page) {
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Log out" }).click();
  await page.waitForURL((url) => url.pathname === "/login");
}

/** Waits until the dashboard shows `who` signed in (after signing in the login page returns to where they were). */
async function expectSignedIn(page: Page, who: string) {
  await page.waitForURL((url) => url.pathname !== "/login");
  await page.getByTestId("user-menu").filter({ hasText: who }).waitFor();
}

describe("audit log and second factor against a live server", () => {
  it("shows the administrator's sign-in and change in the audit log, with an intact chain and a filtered export", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const clientName = `E2E audit client ${unique}`;

    await step("the administrator signs in and creates a client", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clients", exact: true }).click();
      await page.getByRole("heading", { name: "Clients", exact: true }).waitFor();
      await page.getByRole("button", { name: "New client" }).first().click();
      await page.getByLabel("Client name").fill(clientName);
      await page.getByRole("button", { name: "Create client" }).click();
      await page.getByTestId("client-name").filter({ hasText: clientName }).waitFor();
      made.clientId = /\/clients\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1] ?? "";
      expect(made.clientId).not.toBe("");
    });

    await step("the audit log, from the navigation, lists the new client's creation by them first", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
      await filterByAction(page, "Create client", "create_client");
      const newest = auditRows(page).first();
      expect(await newest.getByTestId("audit-actor").textContent()).toBe(email);
      expect(await newest.getByTestId("audit-action").textContent()).toBe("Create client");
      expect(await newest.getByTestId("audit-source-ip").textContent()).toBe("127.0.0.1");
      await newest.getByRole("button", { name: /^Show the details of event \d+$/ }).click();
      const details = await page.getByTestId("audit-details-json").textContent();
      expect(JSON.parse(details ?? "null")).toMatchObject({ method: "POST", path: "/api/v1/clients", request: { name: clientName } });
    });

    await step("their sign-in through the login page is there too", async () => {
      await filterByAction(page, "Signed in", "sign_in");
      await page.getByRole("searchbox", { name: "Filter by actor" }).fill(email);
      await page.waitForURL((url) => url.searchParams.get("actor") === email);
      const newest = auditRows(page).first();
      // The previous filter's rows stay (dimmed) until the new page arrives.
      await expect.poll(() => newest.getByTestId("audit-actor").textContent()).toBe(email);
      await newest.getByRole("button", { name: /^Show the details of event \d+$/ }).click();
      const details = JSON.parse((await page.getByTestId("audit-details-json").textContent()) ?? "null") as { method?: string };
      expect(details.method).toBe("password");
    });

    await step("the chain is intact", async () => {
      const intact = page.getByTestId("audit-chain-intact");
      await intact.waitFor();
      expect(await intact.textContent()).toMatch(/^Chain intact — [\d,]+ events checked/);
    });

    await step("the export follows the filters and is a CSV of the same events", async () => {
      const href = (await page.getByRole("link", { name: "Export CSV" }).getAttribute("href")) ?? "";
      const url = new URL(href, baseUrl);
      expect(url.searchParams.get("format")).toBe("csv");
      expect(url.searchParams.get("action")).toBe("sign_in");
      expect(url.searchParams.get("actor")).toBe(email);
      // The page's own cookies go along, as with a click on the link.
      const answer = await page.request.get(url.toString());
      expect(answer.status()).toBe(200);
      expect(answer.headers()["content-disposition"]).toContain('filename="audit-log.csv"');
      const lines = (await answer.text()).trim().split("\r\n");
      expect(lines[0]).toBe("seq,at,actor,actor_kind,action,target,source_ip,details,hash");
      expect(lines.length).toBeGreaterThan(1);
      expect(lines.slice(1).every((line) => line.includes(`,${email},user,sign_in,`))).toBe(true);
    });
  });

  it("turns on two-factor authentication, signs in with a code and with a recovery code, and an administrator resets it", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const userEmail = `two-factor-${unique}@e2e.test`;
    const userPassword = `two factor password ${unique}`;

    await step("an administrator invites a user, who chooses a password", async () => {
      const { authed } = await apiClient();
      const invitation = expectOk(
        await authed.POST("/api/v1/users", { body: { email: userEmail, role: "technician" } }),
        "inviting the user",
      );
      made.userEmail = userEmail;
      const token = new URL(invitation.link ?? "").hash.replace(/^#token=/, "");
      expect(token).toMatch(/^gri_/);
      const anonymous = createClient<paths>({ baseUrl });
      expectOk(await anonymous.POST("/api/v1/auth/link/accept", { body: { token, password: userPassword } }), "accepting the invitation");
    });

    let userPage!: Page;
    await step("the user signs in with the password alone", async () => {
      userContext = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
      userContext.setDefaultTimeout(20_000);
      userPage = await userContext.newPage();
      userPage.on("pageerror", (error) => session.errors.push(`user pageerror: ${error.message}`));
      await userPage.goto(`${baseUrl}/login`);
      await fillSignIn(userPage, userEmail, userPassword);
      await expectSignedIn(userPage, userEmail);
    });

    let secret = "";
    let confirmingCode = "";
    let recoveryCodes: string[] = [];
    await step("on the account page they scan the key, confirm a code and are shown the recovery codes once", async () => {
      await userPage.getByTestId("user-menu").click();
      await userPage.getByRole("menuitem", { name: "Your account" }).click();
      const card = userPage.getByTestId("two-factor-card");
      await card.waitFor();
      expect(await card.getByTestId("two-factor-status").textContent()).toBe("Off");
      await card.getByRole("button", { name: "Set up two-factor authentication" }).click();
      await card.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
      secret = ((await card.getByTestId("totp-secret").textContent()) ?? "").replace(/\s/g, "");
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      confirmingCode = totpCode(secret);
      await card.getByLabel("2. Enter the 6-digit code the app shows").fill(confirmingCode);
      await card.getByRole("button", { name: "Turn on" }).click();
      const codes = card.getByTestId("recovery-code");
      await codes.first().waitFor();
      recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
      expect(recoveryCodes).toHaveLength(10);
      expect(await card.getByTestId("recovery-codes-note").textContent()).toContain("Save these recovery codes now");
      await card.getByRole("button", { name: "I have saved them" }).click();
      await card.getByTestId("recovery-codes").waitFor({ state: "detached" });
      expect(await card.getByTestId("two-factor-status").textContent()).toBe("On");
    });

    await step("signing in again asks for the app's code, refuses the spent one and takes a fresh one", async () => {
      await signOut(userPage);
      await fillSignIn(userPage, userEmail, userPassword);
      const code = userPage.getByLabel("Authentication code");
      await code.waitFor();
      expect(await code.getAttribute("autocomplete")).toBe("one-time-code");
      // The code that confirmed the setup was spent then: it never signs in.
      await code.fill(confirmingCode);
      await userPage.getByRole("button", { name: "Verify and sign in" }).click();
      expect(await userPage.getByTestId("login-code-error").textContent()).toContain(
        "That code is wrong, was used already, or has expired.",
      );
      // The next step's code: later than the spent one, and within the step of clock drift the server allows.
      await code.fill(totpCode(secret, totpStep() + 1));
      await userPage.getByRole("button", { name: "Verify and sign in" }).click();
      await expectSignedIn(userPage, userEmail);
    });

    await step("a recovery code signs in instead of the app", async () => {
      await signOut(userPage);
      await fillSignIn(userPage, userEmail, userPassword);
      await userPage.getByRole("button", { name: "Use a recovery code instead" }).click();
      await userPage.getByLabel("Recovery code").fill(recoveryCodes[0] ?? "");
      await userPage.getByRole("button", { name: "Verify and sign in" }).click();
      await expectSignedIn(userPage, userEmail);
    });

    await step("the administrator sees the 2FA badge and resets it", async () => {
      await page.goto(`${baseUrl}/users`);
      const row = page.locator(`[data-testid="user-row"][data-email="${userEmail}"]`);
      await row.waitFor();
      expect(await row.getByTestId("user-second-factor").textContent()).toBe("2FA");
      await row.getByRole("button", { name: `Reset two-factor authentication of ${userEmail}` }).click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain(
        "They sign in with their password alone until they set up two-factor authentication again",
      );
      await confirm.getByRole("button", { name: "Reset two-factor" }).click();
      await confirm.waitFor({ state: "detached" });
      await row.getByTestId("user-second-factor").waitFor({ state: "detached" });
    });

    await step("the reset ended the user's session, and the password alone signs them in", async () => {
      await userPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
      await userPage.waitForURL((url) => url.pathname === "/login", { timeout: 15_000 });
      await fillSignIn(userPage, userEmail, userPassword);
      await expectSignedIn(userPage, userEmail);
    });

    await step("the audit log shows the user turning it on and the administrator resetting it", async () => {
      await page.goto(`${baseUrl}/audit?actor=${encodeURIComponent(userEmail)}&action=totp_confirm`);
      const turnedOn = auditRows(page).first();
      await turnedOn.waitFor();
      expect(await turnedOn.getByTestId("audit-action").textContent()).toBe("Turned on two-factor");
      await page.goto(`${baseUrl}/audit?action=reset_second_factor`);
      const reset = auditRows(page).first();
      await reset.waitFor();
      expect(await reset.getByTestId("audit-actor").textContent()).toBe(email);
      expect(await reset.getByTestId("audit-target").textContent()).toMatch(/^users\//);
    });
  });
});
