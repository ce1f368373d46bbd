//! The agent updates page in the browser against a real server. The suite's server has a releases
//! directory holding only the Windows installer: no signed key statement and no agent build. So the
//! page says what is missing, "Start rollout" is disabled with the reason, and the organization
//! default applies. An update policy for a client made for this file is added (pinned, checked in
//! the form first), edited (to beta) and deleted through the page, each change read back from the
//! API. The client is removed afterwards.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, baseUrl, expectOk, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
/** What this file makes, removed afterwards. */
const made = { clientId: "" };

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  const { authed } = await apiClient();
  const policies = (await authed.GET("/api/v1/update-policies")).data?.items ?? [];
  for (const policy of policies.filter((item) => item.target_id === made.clientId)) {
    await authed.DELETE("/api/v1/update-policies/{id}", { params: { path: { id: policy.id } } });
  }
  if (made.clientId) await authed.DELETE("/api/v1/clients/{id}", { params: { path: { id: made.clientId } } });
});

describe("agent updates against a live server", () => {
  it("explains why no rollout can start, and adds, edits and deletes a client's update policy", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const clientName = `Updates client ${unique}`;
    const { authed } = await apiClient();
    made.clientId = expectOk(await authed.POST("/api/v1/clients", { body: { name: clientName } }), "creating a client").id;
    const clientPolicies = async () =>
      expectOk(await authed.GET("/api/v1/update-policies"), "listing update policies").items.filter(
        (policy) => policy.target_id === made.clientId,
      );
    const row = () => page.locator(`[data-testid="update-policy-row"][data-target="${made.clientId}"]`);

    await step("open the page from the navigation", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agent updates" }).click();
      await page.waitForURL((url) => url.pathname === "/updates");
      await page.getByRole("heading", { name: "Agent updates", exact: true }).waitFor();
    });

    await step("say what is missing for agents to update", async () => {
      const banner = page.getByTestId("releases-banner");
      await banner.waitFor();
      expect(await banner.getAttribute("data-problem")).toBe("keys");
      expect(await banner.textContent()).toContain("keys.json");
      await page.getByTestId("releases-empty").waitFor();
      const start = page.getByTestId("start-rollout-button");
      expect(await start.isDisabled()).toBe(true);
      expect(await page.getByTestId("start-rollout-blocked").textContent()).toContain("no signed key statement");
      await page.getByTestId("rollouts-empty").waitFor();
    });

    await step("add a pinned policy for the client, after the form refuses a version that is not one", async () => {
      await page.getByTestId("update-policy-default").waitFor();
      await page.getByTestId("add-update-policy").click();
      const dialog = page.getByTestId("update-policy-dialog");
      await dialog.getByTestId("update-policy-scope-client").click();
      await dialog.getByTestId("update-policy-client-select").click();
      await page.getByRole("option", { name: clientName, exact: true }).click();
      await dialog.getByTestId("update-policy-channel").click();
      await page.getByRole("option", { name: "Pinned", exact: true }).click();
      await dialog.getByTestId("update-policy-pinned").fill("1.2");
      await dialog.getByTestId("update-policy-submit").click();
      const error = dialog.getByTestId("update-policy-field-error");
      await error.waitFor();
      expect(await error.textContent()).toContain("semantic version");
      await dialog.getByTestId("update-policy-pinned").fill("1.2.0");
      await dialog.getByTestId("update-policy-maintenance-only").click();
      await dialog.getByTestId("update-policy-submit").click();
      await dialog.waitFor({ state: "detached" });
      await row().waitFor();
      await expect.poll(() => row().textContent(), { timeout: 10_000 }).toContain(clientName);
      expect(await row().textContent()).toContain("Pinned to 1.2.0");
      expect(await row().textContent()).toContain("In maintenance windows");
      expect(await clientPolicies()).toMatchObject([
        { scope: "client", channel: "pinned", pinned_version: "1.2.0", maintenance_only: true },
      ]);
    });

    await step("edit it to the beta channel", async () => {
      await row().getByTestId("edit-update-policy").click();
      const dialog = page.getByTestId("update-policy-dialog");
      expect(await dialog.getByTestId("update-policy-target").textContent()).toContain(clientName);
      await dialog.getByTestId("update-policy-channel").click();
      await page.getByRole("option", { name: "Beta", exact: true }).click();
      await dialog.getByTestId("update-policy-submit").click();
      await dialog.waitFor({ state: "detached" });
      await expect.poll(() => row().getAttribute("data-channel"), { timeout: 10_000 }).toBe("beta");
      expect(await clientPolicies()).toMatchObject([{ channel: "beta", pinned_version: null, maintenance_only: true }]);
    });

    await step("delete it: the client follows the organization's default again", async () => {
      await row().getByTestId("delete-update-policy").click();
      const confirm = page.getByRole("alertdialog");
      expect(await confirm.textContent()).toContain("stable, at any time");
      await confirm.getByRole("button", { name: "Delete" }).click();
      await row().waitFor({ state: "detached" });
      expect(await clientPolicies()).toEqual([]);
      await page.getByTestId("update-policy-default").waitFor();
    });

    await step("open it by its address, as a reload or a shared link does", async () => {
      await page.goto(`${baseUrl}/updates`);
      await page.getByTestId("update-policy-default").waitFor();
    });

    expect(session.errors.filter((message) => message.includes("pageerror"))).toEqual([]);
  });
});
