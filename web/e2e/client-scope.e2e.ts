//! Client scope in the browser against a real server: the administrator has three clients, Acme,
//! Globex and Initech, each with a site, and the demo agent moved into Acme's site for the test. They
//! invite a technician limited to Acme and Globex in the dashboard; the technician signs in and sees
//! only those two clients and only Acme's agent (the demo agent, which the administrator's list shows
//! among the others), Initech's page is not found, and the navigation holds only the overview, agents
//! and clients: no Alerts, Scripts, Users or settings, and no search. Afterwards the demo agent goes
//! back to its site and the clients and the technician are removed.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentHostname, apiClient, baseUrl, expectOk, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
let technicianContext: BrowserContext | undefined;

const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const technicianEmail = `scoped-${unique}@e2e.test`;
const technicianPassword = `scoped technician password ${unique}`;
const names = { acme: `Acme ${unique}`, globex: `Globex ${unique}`, initech: `Initech ${unique}` };

/** What the setup made, undone in `afterAll`. */
const made: { clientIds: string[]; agentId?: string; agentSiteId?: string } = { clientIds: [] };

beforeAll(() => {
  page = session.page;
});

afterAll(async () => {
  await technicianContext?.close();
  const { authed } = await apiClient();
  if (made.agentId && made.agentSiteId) {
    await authed.PATCH("/api/v1/agents/{id}", { params: { path: { id: made.agentId } }, body: { site_id: made.agentSiteId } });
  }
  const technician = (await authed.GET("/api/v1/users")).data?.items.find((user) => user.email === technicianEmail);
  if (technician) await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: technician.id } } });
  const pending = (await authed.GET("/api/v1/invitations")).data?.items.find((invitation) => invitation.email === technicianEmail);
  if (pending) await authed.DELETE("/api/v1/invitations/{id}", { params: { path: { id: pending.id } } });
  for (const id of made.clientIds) await authed.DELETE("/api/v1/clients/{id}", { params: { path: { id } } });
});

describe("client scope against a live server", () => {
  it("limits an invited technician to Acme and Globex", async () => {
    const { authed } = await apiClient();
    const clientIds: Record<keyof typeof names, string> = { acme: "", globex: "", initech: "" };
    let acmeSiteId = "";

    await step("the administrator has Acme, Globex and Initech with a site each, and the demo agent in Acme", async () => {
      for (const key of ["acme", "globex", "initech"] as const) {
        const client = expectOk(await authed.POST("/api/v1/clients", { body: { name: names[key] } }), `creating ${names[key]}`);
        clientIds[key] = client.id;
        made.clientIds.push(client.id);
        const site = expectOk(
          await authed.POST("/api/v1/clients/{id}/sites", { params: { path: { id: client.id } }, body: { name: "Head office" } }),
          `creating ${names[key]}'s site`,
        );
        if (key === "acme") acmeSiteId = site.id;
      }
      const agents = expectOk(await authed.GET("/api/v1/agents", { params: { query: { q: agentHostname } } }), "finding the demo agent");
      const agent = agents.items.find((candidate) => candidate.hostname === agentHostname);
      if (!agent) throw new Error(`no demo agent ${agentHostname}`);
      made.agentId = agent.id;
      made.agentSiteId = agent.site_id;
      // The demo agent lives in the demo client, which the technician will not reach.
      expect(agent.client_id).not.toBe(clientIds.acme);
      expectOk(
        await authed.PATCH("/api/v1/agents/{id}", { params: { path: { id: agent.id } }, body: { site_id: acmeSiteId } }),
        "moving the demo agent into Acme",
      );
    });

    let link = "";
    await step("the administrator invites a technician limited to Acme and Globex", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
      await page.getByTestId("invite-user-button").click();
      const dialog = page.getByTestId("invite-user-dialog");
      await dialog.getByTestId("invite-email").fill(technicianEmail);
      await dialog.getByTestId("invite-role").click();
      await page.getByRole("option", { name: "Technician", exact: true }).click();
      await dialog.getByLabel("Only these clients").check();
      for (const name of [names.acme, names.globex]) {
        await dialog.getByRole("searchbox", { name: "Search clients" }).fill(name);
        const option = dialog.locator(`[data-testid="invite-scope-option"][data-name="${name}"]`);
        await option.check();
        await dialog.locator(`[data-testid="invite-scope-chosen-client"][data-name="${name}"]`).waitFor();
      }
      await dialog.getByTestId("invite-submit").click();
      link = (await dialog.getByTestId("one-time-link").textContent()) ?? "";
      expect(link).toContain("/welcome#token=gri_");
      await dialog.getByTestId("invitation-done").click();
      const row = page.locator(`[data-testid="invitation-row"][data-email="${technicianEmail}"]`);
      await row.waitFor();
      expect(await row.getByTestId("invitation-access").textContent()).toBe(`${names.acme}, ${names.globex}`);
    });

    let technicianPage!: Page;
    await step("the technician joins by the link and is told their access is limited", async () => {
      technicianContext = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
      technicianContext.setDefaultTimeout(20_000);
      technicianPage = await technicianContext.newPage();
      technicianPage.on("pageerror", (error) => session.errors.push(`technician pageerror: ${error.message}`));
      await technicianPage.goto(link);
      await technicianPage.getByTestId("welcome-title").waitFor();
      await technicianPage.getByLabel("New password", { exact: true }).fill(technicianPassword);
      await technicianPage.getByLabel("Confirm the password").fill(technicianPassword);
      await technicianPage.getByTestId("welcome-submit").click();
      await technicianPage.waitForURL((url) => url.pathname === "/");
      await technicianPage.getByRole("heading", { name: "Overview", exact: true }).waitFor();
      expect(await technicianPage.getByTestId("client-scope-badge").textContent()).toContain("Limited to 2 clients");
    });

    await step("the navigation holds only the overview, agents and clients, and there is no search", async () => {
      const navigation = technicianPage.getByRole("navigation", { name: "Main" });
      await navigation.getByRole("link", { name: "Clients", exact: true }).waitFor();
      const labels = (await navigation.getByRole("link").allTextContents()).map((label) => label.trim());
      expect(labels).toEqual(["Overview", "Agents", "Clients"]);
      for (const hidden of ["Alerts", "Scripts", "Users", "Organization", "Custom fields", "Policies"]) {
        expect(await navigation.getByRole("link", { name: hidden, exact: true }).count()).toBe(0);
      }
      expect(await technicianPage.getByTestId("global-search-button").count()).toBe(0);
    });

    await step("the Clients page lists Acme and Globex only", async () => {
      await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clients", exact: true }).click();
      await technicianPage.locator(`[data-testid="client-row"][data-name="${names.acme}"]`).waitFor();
      const listed = await technicianPage.getByTestId("client-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-name")));
      expect(listed.sort()).toEqual([names.acme, names.globex]);
    });

    await step("the Agents page lists Acme's agent only", async () => {
      await technicianPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
      await technicianPage.locator(`[data-testid="agent-row"][data-hostname="${agentHostname}"]`).waitFor();
      expect(await technicianPage.getByTestId("agent-row").count()).toBe(1);
      // The administrator sees the same agent among the whole organization's.
      const all = expectOk(await authed.GET("/api/v1/agents", { params: { query: {} } }), "listing every agent");
      expect(all.items.some((agent) => agent.hostname === agentHostname)).toBe(true);
    });

    await step("Initech's page is not found, and a page for the whole organization says it is not for them", async () => {
      await technicianPage.goto(`${baseUrl}/clients/${clientIds.initech}`);
      await technicianPage.getByTestId("client-not-found").waitFor();
      expect(await technicianPage.getByTestId("client-name").count()).toBe(0);
      await technicianPage.goto(`${baseUrl}/clients/${clientIds.acme}`);
      expect(await technicianPage.getByTestId("client-name").textContent()).toBe(names.acme);
      await technicianPage.goto(`${baseUrl}/alerts`);
      expect(await technicianPage.getByTestId("client-scope-refused").textContent()).toContain(
        "Your access is limited to some clients; this page is not available to you.",
      );
    });
  });
});
