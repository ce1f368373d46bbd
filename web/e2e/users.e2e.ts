//! User management in the browser against a real server: the administrator invites a technician (no
//! mail server is configured, so the link is shown once), a fresh browser opens the link, chooses a
//! password and lands signed in as the technician, who has no Users entry; disabling them ends their
//! session at their next navigation; and the administrator changes their own password on the
//! account page and stays signed in.
import createClient from "openapi-fetch";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../src/api/schema";
import { apiClient, baseUrl, email, expectOk, logIn, password, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let technicianContext: BrowserContext | undefined;
/** The administrator's password while the test has changed it; the other specs sign in with the suite's. */
let changedPassword: string | null = null;
let technicianEmail = "";

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await technicianContext?.close();
  if (changedPassword) await changePasswordByApi(changedPassword, password);
  if (technicianEmail) {
    const { authed } = await apiClient();
    const technician = (await authed.GET("/api/v1/users")).data?.items.find((user) => user.email === technicianEmail);
    if (technician) await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: technician.id } } });
  }
});

async function changePasswordByApi(current: string, next: string) {
  const anonymous = createClient<paths>({ baseUrl });
  const login = await anonymous.POST("/api/v1/auth/login", { body: { email, password: current } });
  if (!login.data?.token) return;
  const authed = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${login.data.token}` } });
  await authed.POST("/api/v1/auth/password", { body: { current_password: current, new_password: next } });
}

/** Changes the signed-in user's password on the account page and waits until the page signed in again. */
async function changeOwnPassword(page: Page, current: string, next: string) {
  const card = page.getByTestId("change-password-card");
  await card.getByLabel("Current password", { exact: true }).fill(current);
  await card.getByLabel("New password", { exact: true }).fill(next);
  await card.getByLabel("Confirm the new password").fill(next);
  await card.getByTestId("change-password-submit").click();
  await page.getByText("Password changed. Your other sessions were signed out.").waitFor();
  expect(await card.getByLabel("Current password").inputValue()).toBe("");
}

describe("users against a live server", () => {
  it("invites a technician who joins by link, disables them, and changes the administrator's own password", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    technicianEmail = `technician-${unique}@e2e.test`;
    const technicianPassword = `technician password ${unique}`;
    const { authed } = await apiClient();
    const organization = expectOk(await authed.GET("/api/v1/auth/me"), "reading the administrator").organization_name;
    let link = "";

    await step("the administrator invites a technician and is shown the link once", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      await page.getByTestId("invite-user-button").click();
      const dialog = page.getByTestId("invite-user-dialog");
      await dialog.getByTestId("invite-email").fill(technicianEmail);
      await dialog.getByTestId("invite-role").click();
      await page.getByRole("option", { name: "Technician", exact: true }).click();
      await dialog.getByTestId("invite-submit").click();
      link = (await dialog.getByTestId("one-time-link").textContent()) ?? "";
      expect(link).toMatch(new RegExp(`^${baseUrl.replace(/[.]/g, "\\.")}/welcome#token=gri_[0-9a-f]+$`));
      expect(await dialog.getByTestId("link-shown-once").textContent()).toContain("It works once, for 72 hours.");
      await dialog.getByTestId("invitation-done").click();
      await dialog.waitFor({ state: "detached" });
      await page.locator(`[data-testid="invitation-row"][data-email="${technicianEmail}"]`).waitFor();
    });

    let technicianPage!: Page;
    await step("a fresh browser opens the link, chooses a password and is signed in as the technician", async () => {
      technicianContext = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
      technicianContext.setDefaultTimeout(20_000);
      technicianPage = await technicianContext.newPage();
      technicianPage.on("pageerror", (error) => session.errors.push(`technician pageerror: ${error.message}`));
      await technicianPage.goto(link);
      const title = technicianPage.getByTestId("welcome-title");
      await title.waitFor();
      expect(await title.textContent()).toBe(`Join ${organization} as a technician`);
      expect(await technicianPage.getByTestId("welcome-form").textContent()).toContain(technicianEmail);
      await technicianPage.getByLabel("New password", { exact: true }).fill(technicianPassword);
      await technicianPage.getByLabel("Confirm the password").fill(`${technicianPassword}?`);
      await technicianPage.getByTestId("welcome-submit").click();
      await technicianPage.getByText("The two passwords differ.").waitFor();
      await technicianPage.getByLabel("Confirm the password").fill(technicianPassword);
      await technicianPage.getByTestId("welcome-submit").click();
      await technicianPage.waitForURL((url) => url.pathname === "/");
      await technicianPage.getByRole("heading", { name: "Overview", exact: true }).waitFor();
      expect(await technicianPage.getByTestId("user-menu").textContent()).toContain(technicianEmail);
    });

    await step("the technician has no Users entry, and the page says it is not for their role", async () => {
      const navigation = technicianPage.getByRole("navigation", { name: "Main" });
      await navigation.getByRole("link", { name: "Agents", exact: true }).waitFor();
      expect(await navigation.getByRole("link", { name: "Users", exact: true }).count()).toBe(0);
      await technicianPage.goto(`${baseUrl}/users`);
      await technicianPage.getByText("Not available to your role").waitFor();
      expect(await technicianPage.getByTestId("users-table").count()).toBe(0);
    });

    await step("the administrator sees the technician signed in and disables them", async () => {
      await page.reload();
      const row = page.locator(`[data-testid="user-row"][data-email="${technicianEmail}"]`);
      await row.waitFor();
      expect(await row.getByTestId("user-last-sign-in").textContent()).not.toBe("never");
      expect(await page.locator(`[data-testid="invitation-row"][data-email="${technicianEmail}"]`).count()).toBe(0);
      await row.getByTestId("disable-user").click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain("signed out at once");
      await confirm.getByRole("button", { name: "Disable", exact: true }).click();
      await page.locator(`[data-testid="user-row"][data-email="${technicianEmail}"][data-status="disabled"]`).waitFor();
    });

    await step("the technician's next navigation ends at the sign-in page, which refuses them", async () => {
      await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
      await technicianPage.waitForURL((url) => url.pathname === "/login", { timeout: 15_000 });
      await technicianPage.getByLabel("Email").fill(technicianEmail);
      await technicianPage.getByLabel("Password").fill(technicianPassword);
      await technicianPage.getByRole("button", { name: "Sign in" }).click();
      await technicianPage.getByTestId("login-error").waitFor();
      expect(new URL(technicianPage.url()).pathname).toBe("/login");
    });

    const newPassword = `${password} changed`;
    await step("the administrator changes their own password on the account page and stays signed in", async () => {
      await page.getByTestId("user-menu").click();
      await page.getByRole("menuitem", { name: "Your account" }).click();
      await page.waitForURL((url) => url.pathname === "/account");
      await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
      changedPassword = newPassword;
      await changeOwnPassword(page, password, newPassword);
      // Every earlier session ended with the change: the one left is the one the page signed in again with.
      await expect.poll(() => page.getByTestId("session-row").count(), { timeout: 10_000 }).toBe(1);
      await page.locator('[data-testid="session-row"][data-current="true"]').getByTestId("this-session").waitFor();
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
      await page.locator(`[data-testid="user-row"][data-email="${technicianEmail}"]`).waitFor();
      expect(new URL(page.url()).pathname).toBe("/users");
    });

    await step("the administrator puts the suite's password back the same way", async () => {
      await page.goto(`${baseUrl}/account`);
      await changeOwnPassword(page, newPassword, password);
      changedPassword = null;
      // The suite's password signs in again, as the other specs need.
      await apiClient();
    });
  });
});
