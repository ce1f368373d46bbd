//! Custom roles in the browser against a real server: the administrator (the suite's owner) makes a
//! role "Script runner" (view_agents and run_scripts) on the Roles page and invites someone with it
//! (no mail server is configured, so the link is shown once); a fresh browser opens the link, chooses
//! a password and is signed in with exactly what the role allows: no Users or Roles entry, no New
//! script button. The owner then adds edit_scripts to the role, and the runner's next page load has
//! the New script button. Deleting the role while it is held shows the server's refusal. The user and
//! the role are removed afterwards.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, baseUrl, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let runnerContext: BrowserContext | undefined;
const ROLE_NAME = "Script runner";
/** What this file makes, removed afterwards. */
const made = { runnerEmail: "" };

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await runnerContext?.close();
  const { authed } = await apiClient();
  if (made.runnerEmail) {
    const runner = (await authed.GET("/api/v1/users")).data?.items.find((user) => user.email === made.runnerEmail);
    if (runner) await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: runner.id } } });
    const invitation = (await authed.GET("/api/v1/invitations")).data?.items.find((item) => item.email === made.runnerEmail);
    if (invitation) await authed.DELETE("/api/v1/invitations/{id}", { params: { path: { id: invitation.id } } });
  }
  const role = (await authed.GET("/api/v1/roles")).data?.custom.find((custom) => custom.name === ROLE_NAME);
  if (role) await authed.DELETE("/api/v1/roles/{id}", { params: { path: { id: role.id } } });
});

function roleRow(page: Page) {
  return page.locator(`[data-testid="custom-role-row"][data-name="${ROLE_NAME}"]`);
}

/** Ticks (or leaves ticked) the named permissions in the open role dialog. */
async function tick(page: Page, permissions: string[]) {
  const dialog = page.getByTestId("role-dialog");
  for (const permission of permissions) {
    await dialog.locator(`[data-testid="role-permission"][data-permission="${permission}"]`).check();
  }
}

/** Waits until the page knows who is signed in, so what their permissions hide is really hidden. */
async function signedInAs(page: Page, email: string) {
  await expect.poll(() => page.getByTestId("user-menu").textContent(), { timeout: 20_000 }).toContain(email);
}

describe("custom roles against a live server", () => {
  it("makes a role, invites someone with it, widens it and refuses deleting it while held", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    made.runnerEmail = `runner-${unique}@e2e.test`;
    const runnerPassword = `script runner password ${unique}`;
    let link = "";

    await step("the owner makes the role Script runner on the Roles page", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Roles", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Roles" }).waitFor();
      await page.locator('[data-testid="built-in-role"][data-role="technician"]').waitFor();
      await page.getByTestId("new-role-button").click();
      const dialog = page.getByTestId("role-dialog");
      await dialog.getByTestId("role-name").fill(ROLE_NAME);
      await dialog.getByTestId("role-description").fill("Sees the fleet and runs the approved scripts.");
      await tick(page, ["view_agents", "run_scripts"]);
      await dialog.getByTestId("role-submit").click();
      await dialog.waitFor({ state: "detached" });
      const row = roleRow(page);
      await row.waitFor();
      expect(await row.getByTestId("custom-role-permissions").textContent()).toContain("view_agentsrun_scripts");
      expect(await row.getByTestId("custom-role-holders").textContent()).toBe("0 users0 pending invitations");
    });

    await step("the owner invites someone with it and is shown the link once", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      await page.getByTestId("invite-user-button").click();
      const dialog = page.getByTestId("invite-user-dialog");
      await dialog.getByTestId("invite-email").fill(made.runnerEmail);
      await dialog.getByTestId("invite-role").click();
      await page.getByRole("option", { name: ROLE_NAME, exact: true }).click();
      expect(await dialog.textContent()).toContain("Sees the fleet and runs the approved scripts.");
      await dialog.getByTestId("invite-submit").click();
      link = (await dialog.getByTestId("one-time-link").textContent()) ?? "";
      expect(link).toMatch(/\/welcome#token=gri_[0-9a-f]+$/);
      expect(await dialog.textContent()).toContain(`join as the role ${ROLE_NAME}`);
      await dialog.getByTestId("invitation-done").click();
      await dialog.waitFor({ state: "detached" });
      const invitation = page.locator(`[data-testid="invitation-row"][data-email="${made.runnerEmail}"]`);
      await invitation.waitFor();
      expect(await invitation.getByTestId("invitation-role").textContent()).toBe(ROLE_NAME);
    });

    let runnerPage!: Page;
    await step("a fresh browser opens the link, chooses a password and is signed in", async () => {
      runnerContext = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
      runnerContext.setDefaultTimeout(20_000);
      runnerPage = await runnerContext.newPage();
      runnerPage.on("pageerror", (error) => session.errors.push(`runner pageerror: ${error.message}`));
      await runnerPage.goto(link);
      await runnerPage.getByTestId("welcome-form").waitFor();
      await runnerPage.getByLabel("New password", { exact: true }).fill(runnerPassword);
      await runnerPage.getByLabel("Confirm the password").fill(runnerPassword);
      await runnerPage.getByTestId("welcome-submit").click();
      await runnerPage.waitForURL((url) => url.pathname === "/");
      await runnerPage.getByRole("heading", { name: "Overview", exact: true }).waitFor();
      await signedInAs(runnerPage, made.runnerEmail);
    });

    await step("the runner sees only what the role allows", async () => {
      const navigation = runnerPage.getByRole("navigation", { name: "Main" });
      await navigation.getByRole("link", { name: "Scripts", exact: true }).waitFor();
      expect(await navigation.getByRole("link", { name: "Users", exact: true }).count()).toBe(0);
      expect(await navigation.getByRole("link", { name: "Roles", exact: true }).count()).toBe(0);
      expect(await navigation.getByRole("link", { name: "Audit log", exact: true }).count()).toBe(0);
      await navigation.getByRole("link", { name: "Scripts", exact: true }).click();
      await runnerPage.getByRole("heading", { level: 1, name: "Scripts" }).waitFor();
      expect(await runnerPage.getByTestId("new-script-button").count()).toBe(0);
      await runnerPage.goto(`${baseUrl}/roles`);
      await signedInAs(runnerPage, made.runnerEmail);
      await runnerPage.getByTestId("roles-not-allowed").waitFor();
      expect(await runnerPage.getByTestId("custom-roles-table").count()).toBe(0);
    });

    await step("the owner sees the runner holding the role, and adds edit_scripts to it", async () => {
      await page.reload();
      const row = page.locator(`[data-testid="user-row"][data-email="${made.runnerEmail}"]`);
      await row.waitFor();
      expect(await row.getByTestId("user-role-select").textContent()).toContain(ROLE_NAME);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Roles", exact: true }).click();
      const roleHolders = roleRow(page).getByTestId("custom-role-holders");
      await expect.poll(() => roleHolders.textContent(), { timeout: 10_000 }).toBe("1 user0 pending invitations");
      await roleRow(page).getByTestId("edit-role").click();
      const dialog = page.getByTestId("role-dialog");
      expect(await dialog.getByTestId("role-name").inputValue()).toBe(ROLE_NAME);
      await tick(page, ["edit_scripts"]);
      await dialog.getByTestId("role-submit").click();
      await dialog.waitFor({ state: "detached" });
      await expect
        .poll(() => roleRow(page).getByTestId("custom-role-permissions").textContent(), { timeout: 10_000 })
        .toContain("edit_scripts");
    });

    await step("the runner's next page load has the new capability", async () => {
      await runnerPage.goto(`${baseUrl}/scripts`);
      await runnerPage.getByRole("heading", { level: 1, name: "Scripts" }).waitFor();
      await signedInAs(runnerPage, made.runnerEmail);
      await runnerPage.getByTestId("new-script-button").first().waitFor();
    });

    await step("deleting the role while it is held shows the server's refusal", async () => {
      await roleRow(page).getByTestId("delete-role").click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain(`Delete ${ROLE_NAME}?`);
      await confirm.getByRole("button", { name: "Delete", exact: true }).click();
      const refusal = confirm.getByRole("alert");
      await refusal.waitFor();
      expect(await refusal.textContent()).toContain(
        "the role is held by 1 user(s) and 0 pending invitation(s); give them another role first",
      );
      await confirm.getByRole("button", { name: "Cancel" }).click();
      await confirm.waitFor({ state: "detached" });
      await roleRow(page).waitFor();
    });
  });
});
