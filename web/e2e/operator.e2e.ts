//! The operator's organizations in the browser against a real server, where the suite's administrator
//! is the operator: they make an organization in the dashboard (no mail server is configured, so the
//! owner's link is shown once); a fresh browser opens the link, chooses a password and lands in the
//! new, empty organization; the operator suspends it with a reason, and the owner's next page load
//! ends on the sign-in page, which says the organization is suspended; once resumed, the owner signs
//! in again. Organizations cannot be deleted, so each run names its own.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, baseUrl, expectOk, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let ownerContext: BrowserContext | undefined;

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await ownerContext?.close();
});

/** Signs in on the login page as `who` and waits for the answer: the overview, or the refusal. */
async function signIn(target: Page, who: string, secret: string) {
  await target.getByLabel("Email").fill(who);
  await target.getByLabel("Password").fill(secret);
  await target.getByRole("button", { name: "Sign in" }).click();
}

describe("the operator's organizations against a live server", () => {
  it("makes an organization whose owner joins by link, suspends it, and resumes it", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 17);
    const organizationName = `E2E Org ${unique}`;
    const ownerEmail = `owner-${unique}@e2e.test`;
    const ownerPassword = `organization owner password ${unique}`;
    const reason = `e2e suspension ${unique}`;
    const { authed } = await apiClient();
    const me = expectOk(await authed.GET("/api/v1/auth/me"), "reading the administrator");
    expect(me.operator).toBe(true);
    const row = () => page.locator(`[data-testid="organization-row"][data-name="${organizationName}"]`);
    let link = "";

    await step("the operator opens Organizations and sees their own organization marked", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Organizations", exact: true }).click();
      await page.waitForURL((url) => url.pathname === "/operator");
      await page.getByRole("heading", { level: 1, name: "Organizations" }).waitFor();
      const own = page.locator(`[data-testid="organization-row"][data-name="${me.organization_name}"]`);
      await own.getByTestId("organization-yours").waitFor();
      expect(await own.getByTestId("suspend-organization").count()).toBe(0);
    });

    await step("the operator makes an organization and is shown its owner's link once", async () => {
      await page.getByTestId("new-organization-button").click();
      const dialog = page.getByTestId("new-organization-dialog");
      await dialog.getByTestId("new-organization-name").fill(organizationName);
      await dialog.getByTestId("new-organization-email").fill(ownerEmail);
      await dialog.getByTestId("new-organization-submit").click();
      link = (await dialog.getByTestId("one-time-link").textContent()) ?? "";
      expect(link).toMatch(new RegExp(`^${baseUrl.replace(/[.]/g, "\\.")}/welcome#token=gri_[0-9a-f]+$`));
      expect(await dialog.getByTestId("link-shown-once").textContent()).toContain(ownerEmail);
      await dialog.getByTestId("organization-created-done").click();
      await dialog.waitFor({ state: "detached" });
      await row().waitFor();
      expect(await row().getAttribute("data-status")).toBe("active");
      expect(await row().getByTestId("organization-agents").textContent()).toBe("0");
    });

    let ownerPage!: Page;
    await step("a fresh browser opens the link, chooses a password and lands in the empty organization", async () => {
      ownerContext = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
      ownerContext.setDefaultTimeout(20_000);
      ownerPage = await ownerContext.newPage();
      ownerPage.on("pageerror", (error) => session.errors.push(`owner pageerror: ${error.message}`));
      await ownerPage.goto(link);
      const title = ownerPage.getByTestId("welcome-title");
      await title.waitFor();
      expect(await title.textContent()).toContain(`Join ${organizationName}`);
      await ownerPage.getByLabel("New password", { exact: true }).fill(ownerPassword);
      await ownerPage.getByLabel("Confirm the password").fill(ownerPassword);
      await ownerPage.getByTestId("welcome-submit").click();
      await ownerPage.waitForURL((url) => url.pathname === "/");
      await ownerPage.getByRole("heading", { name: "Overview", exact: true }).waitFor();
      expect(await ownerPage.getByTestId("user-menu").textContent()).toContain(organizationName);
      const total = ownerPage.getByTestId("overview-agents-total");
      await total.waitFor();
      expect(await total.getAttribute("data-count")).toBe("0");
      // Not the operator: no Organizations entry.
      const navigation = ownerPage.getByRole("navigation", { name: "Main" });
      await navigation.getByRole("link", { name: "Agents", exact: true }).waitFor();
      expect(await navigation.getByRole("link", { name: "Organizations", exact: true }).count()).toBe(0);
    });

    await step("the operator suspends the organization with a reason", async () => {
      await page.reload();
      await row().getByTestId("suspend-organization").click();
      const dialog = page.getByTestId("suspend-organization-dialog");
      expect(await dialog.textContent()).toContain("Its agents stay connected");
      await dialog.getByTestId("suspend-reason").fill(reason);
      await dialog.getByTestId("suspend-confirm").click();
      await dialog.waitFor({ state: "detached" });
      await page.locator(`[data-testid="organization-row"][data-name="${organizationName}"][data-status="suspended"]`).waitFor();
      expect(await row().getByTestId("organization-status").textContent()).toMatch(/^Suspended since /);
    });

    await step("the owner's next page load ends on the sign-in page, which says the organization is suspended", async () => {
      await ownerPage.reload();
      await ownerPage.waitForURL((url) => url.pathname === "/login", { timeout: 15_000 });
      await signIn(ownerPage, ownerEmail, ownerPassword);
      const refusal = ownerPage.getByTestId("login-error");
      await refusal.waitFor();
      expect(await refusal.textContent()).toContain("your organization is suspended");
      expect(new URL(ownerPage.url()).pathname).toBe("/login");
    });

    await step("the operator resumes the organization", async () => {
      await row().getByTestId("resume-organization").click();
      const confirm = page.getByRole("alertdialog");
      await confirm.getByRole("button", { name: "Resume", exact: true }).click();
      await confirm.waitFor({ state: "detached" });
      await page.locator(`[data-testid="organization-row"][data-name="${organizationName}"][data-status="active"]`).waitFor();
    });

    await step("the owner signs in again", async () => {
      await signIn(ownerPage, ownerEmail, ownerPassword);
      await ownerPage.waitForURL((url) => url.pathname === "/");
      await ownerPage.getByRole("heading", { name: "Overview", exact: true }).waitFor();
      expect(await ownerPage.getByTestId("user-menu").textContent()).toContain(organizationName);
    });

    expect(session.errors.filter((message) => message.includes("pageerror"))).toEqual([]);
  });
});
