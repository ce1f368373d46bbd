//! The credential vault in the browser against a real server: the administrator adds an entry on a
//! client's page, the list never shows its value, a wrong password reveals nothing, the right one shows
//! the value, and once the dialog is closed the value is gone from the page.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, baseUrl, expectOk, logIn, password, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let clientId = "";

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  if (clientId) {
    const { authed } = await apiClient();
    await authed.DELETE("/api/v1/clients/{id}", { params: { path: { id: clientId } } });
  }
});

describe("the credential vault against a live server", () => {
  it("keeps a credential that only a fresh password check reveals", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const secret = `Vault-${unique}-s3cret!`;
    const { authed } = await apiClient();
    const client = expectOk(await authed.POST("/api/v1/clients", { body: { name: `Vault client ${unique}` } }), "creating a client");
    clientId = client.id;

    await step("add an entry on the client's page", async () => {
      await logIn(page);
      await page.goto(`${baseUrl}/clients/${clientId}`);
      const card = page.getByTestId("vault-card");
      await card.getByRole("button", { name: "Add entry" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Name", { exact: true }).fill("Domain admin");
      await dialog.getByLabel("Username", { exact: true }).fill("ACME\\administrator");
      await dialog.getByLabel("Secret", { exact: true }).fill(secret);
      await dialog.getByRole("button", { name: "Add entry" }).click();
      await dialog.waitFor({ state: "hidden" });
      await card.getByTestId("vault-row").filter({ hasText: "Domain admin" }).waitFor();
      expect(await page.content()).not.toContain(secret);
    });

    await step("a wrong password reveals nothing", async () => {
      await page.getByRole("button", { name: "Reveal Domain admin" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Your password").fill("not the password");
      await dialog.getByTestId("confirm-reveal-button").click();
      await dialog.getByTestId("reveal-error").waitFor();
      expect(await page.content()).not.toContain(secret);
    });

    await step("the right password shows the value, and closing forgets it", async () => {
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Your password").fill(password);
      await dialog.getByTestId("confirm-reveal-button").click();
      const value = dialog.getByTestId("revealed-secret");
      await value.waitFor();
      expect(await value.inputValue()).toBe(secret);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      expect(await page.content()).not.toContain(secret);
    });

    await step("the reveals are in the audit log, the value is not", async () => {
      const log = expectOk(await authed.GET("/api/v1/audit", { params: { query: { action: "reveal_vault_entry" } } }), "reading the log");
      expect(log.total).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(log)).not.toContain(secret);
      expect(JSON.stringify(log)).not.toContain(password);
    });
  });
});
