//! An operator's support access in the browser against a real server, where the suite's administrator
//! is the operator: the test makes an organization (through the API), and the operator opens support
//! access to it from the Organizations page with a reason. The dashboard then acts in that
//! organization: a banner on every page names it, the reason and the time left; the header names the
//! customer's organization; its users are not the operator's to manage (the server answers 403 and the
//! Users page says it is not available). Ending support access returns to the operator's own
//! organization on the Organizations page, without the banner. Organizations cannot be deleted, so each
//! run names its own.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { apiClient, baseUrl, expectOk, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;

beforeAll(() => {
  page = session.page;
});

/** The banner, with its text, after checking it is shown on the page now open. */
async function bannerText(): Promise<string> {
  const banner = page.getByTestId("support-banner");
  await banner.waitFor();
  return (await banner.textContent()) ?? "";
}

/** Opens a page from the navigation and waits for its heading. */
async function openFromNavigation(label: string, heading: string = label) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: heading, exact: true }).waitFor();
}

describe("an operator's support access against a live server", () => {
  it("opens support access to an organization, shows it on every page, and ends it", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 17);
    const organizationName = `E2E Support ${unique}`;
    const reason = `e2e ticket ${unique}: alerts stopped`;
    const { authed } = await apiClient();
    const me = expectOk(await authed.GET("/api/v1/auth/me"), "reading the administrator");
    expect(me.operator).toBe(true);
    expect(me.support ?? null).toBeNull();
    const created = expectOk(
      await authed.POST("/api/v1/operator/organizations", {
        body: { name: organizationName, owner_email: `owner-${unique}@e2e.test` },
      }),
      "making the organization to support",
    );
    const row = () => page.locator(`[data-testid="organization-row"][data-name="${organizationName}"]`);

    await step("the operator opens support access from the Organizations page, with a reason and a length", async () => {
      await logIn(page);
      expect(await page.getByTestId("support-banner").count()).toBe(0);
      await openFromNavigation("Organizations");
      const own = page.locator(`[data-testid="organization-row"][data-name="${me.organization_name}"]`);
      await own.getByTestId("organization-yours").waitFor();
      expect(await own.getByTestId("support-organization").count()).toBe(0);
      await row().getByTestId("support-organization").click();
      const dialog = page.getByTestId("support-access-dialog");
      const explanation = (await dialog.getByTestId("support-access-explanation").textContent()) ?? "";
      expect(explanation).toContain(`A new session opens inside ${organizationName}`);
      expect(explanation).toContain("recorded in both audit logs");
      // No reason: refused before asking the server.
      await dialog.getByTestId("support-confirm").click();
      await dialog.getByTestId("support-reason-error").waitFor();
      await dialog.getByTestId("support-reason").fill(reason);
      await dialog.getByRole("radio", { name: "30 min" }).click();
      await dialog.getByRole("button", { name: "Start support access for 30 min" }).click();
      await page.waitForURL((url) => url.pathname === "/");
      await page.getByRole("heading", { name: "Overview", exact: true }).waitFor();
    });

    await step(
      "the banner names the organization, the reason and the time left; the header names the customer's organization",
      async () => {
        const text = await bannerText();
        expect(text).toContain(`Support access to ${organizationName} — ${reason} — ends in `);
        expect(text).toMatch(/ends in (30m 00s|29m \d\ds)/);
        expect(await page.getByTestId("support-banner-organization").textContent()).toBe(organizationName);
        expect(await page.getByTestId("user-menu").textContent()).toContain(organizationName);
        // The new organization is empty: the overview is its own, not the operator's.
        const total = page.getByTestId("overview-agents-total");
        await total.waitFor();
        expect(await total.getAttribute("data-count")).toBe("0");
        // Counting down.
        const before = await page.getByTestId("support-banner-countdown").textContent();
        await page.waitForFunction(
          (shown) => document.querySelector('[data-testid="support-banner-countdown"]')?.textContent !== shown,
          before,
          { timeout: 5_000 },
        );
      },
    );

    await step("the banner stays on every page, and the operator's own pages are gone", async () => {
      for (const [label, heading] of [
        ["Agents", "Agents"],
        ["Alerts", "Alerts"],
        ["Clients", "Clients"],
        ["Audit log", "Audit log"],
      ] as const) {
        await openFromNavigation(label, heading);
        expect(await bannerText()).toContain(`Support access to ${organizationName}`);
      }
      const navigation = page.getByRole("navigation", { name: "Main" });
      expect(await navigation.getByRole("link", { name: "Organizations", exact: true }).count()).toBe(0);
      expect(await navigation.getByRole("link", { name: "Users", exact: true }).count()).toBe(0);
      expect(await navigation.getByRole("link", { name: "Organization", exact: true }).count()).toBe(0);
      // A full page load keeps the session and its banner.
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Audit log", exact: true }).waitFor();
      expect(await bannerText()).toContain(reason);
    });

    await step("the organization's own audit log starts with the support access and its reason", async () => {
      const started = await page.evaluate(async () => {
        const answer = await fetch("/api/v1/audit?action=support_access_started");
        return (await answer.json()) as { items: { details: unknown }[] };
      });
      expect(started.items.map((event) => JSON.stringify(event.details))).toEqual([expect.stringContaining(reason)]);
    });

    await step("the organization's users are not available: the server refuses, the page says so", async () => {
      const status = await page.evaluate(async () => (await fetch("/api/v1/users")).status);
      expect(status).toBe(403);
      await page.goto(`${baseUrl}/users`);
      await page.getByTestId("users-not-allowed").waitFor();
      expect(await page.getByTestId("user-row").count()).toBe(0);
      expect(await bannerText()).toContain(`Support access to ${organizationName}`);
    });

    await step("ending support access returns to the operator's own organization, without the banner", async () => {
      await page.getByTestId("support-banner-end").click();
      await page.waitForURL((url) => url.pathname === "/operator");
      await page.getByRole("heading", { level: 1, name: "Organizations" }).waitFor();
      await page.getByTestId("support-banner").waitFor({ state: "detached" });
      expect(await page.getByTestId("user-menu").textContent()).toContain(me.organization_name);
      const own = page.locator(`[data-testid="organization-row"][data-name="${me.organization_name}"]`);
      await own.getByTestId("organization-yours").waitFor();
      await row().waitFor();
      // A full page load: the session at home is the cookie's, and no banner comes back.
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Organizations" }).waitFor();
      await row().waitFor();
      expect(await page.getByTestId("support-banner").count()).toBe(0);
    });

    await step("the operator's own audit log has the end of the support access", async () => {
      const own = expectOk(
        await authed.GET("/api/v1/audit", { params: { query: { action: "support_access_ended" } } }),
        "reading the operator's audit log",
      );
      expect(own.items.some((event) => event.target?.endsWith(created.organization.id))).toBe(true);
    });

    expect(session.errors.filter((message) => message.includes("pageerror"))).toEqual([]);
  });
});
