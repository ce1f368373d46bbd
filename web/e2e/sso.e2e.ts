//! Single sign-on in the browser against a real server and a real OpenID Connect provider: panva's
//! oidc-provider, run by this test on loopback with its development login and consent pages (any
//! login is accepted; the login typed becomes the email address, in the group "rmm-techs"). The
//! administrator adds the provider on the Single sign-on page (redirect URI, issuer, client, email
//! domain, technicians by default, a group rule for admins) and reads its sign-in link. A person who
//! never had an account opens the link in a fresh browser, signs in at the provider, and lands on the
//! dashboard as a technician, listed on the administrator's Users page. A refusal the server sends
//! back shows on the sign-in page; and once single sign-on is required, a technician's password is
//! refused with the reason. Everything made is removed afterwards, and the requirement turned off.
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import createClient from "openapi-fetch";
import Provider from "oidc-provider";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../src/api/schema";
import { apiClient, baseUrl, expectOk, logIn, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
let page: Page;
const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const PROVIDER_NAME = `Acme IdP ${unique}`;
const CLIENT_ID = "gururmm-e2e";
const CLIENT_SECRET = `client secret ${unique}`;
const PERSON = `tess-${unique}@acme.test`;
const TECHNICIAN = `tom-${unique}@acme.test`;
const TECHNICIAN_PASSWORD = `technician password ${unique}`;

/** The identity provider's server, its issuer URL, and the browsers this file opens besides the administrator's. */
let idpServer: Server | undefined;
let issuer = "";
const contexts: BrowserContext[] = [];
/** What this file makes, removed afterwards. */
const made = { userEmails: [] as string[], providerNames: [PROVIDER_NAME] };

beforeAll(async () => {
  page = session.page;
  // The copy buttons write to the clipboard, which the test reads back like a person pasting.
  await session.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  const { authed } = await apiClient();
  // The provider must know where to send people back before anyone signs in through it.
  const { redirect_uri: redirectUri } = expectOk(await authed.GET("/api/v1/sso/providers"), "reading the redirect URI");

  // The issuer names the port, so the server listens first and hands its requests on once the provider exists.
  const forward: { to?: RequestListener } = {};
  idpServer = createServer((request, response) => forward.to?.(request, response));
  await new Promise<void>((resolve) => idpServer!.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    // The claims go into the ID token, which is all GuruRMM reads.
    conformIdTokenClaims: false,
    claims: { openid: ["sub", "groups"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: true } },
    // Whatever login is typed on the development login page is the person's email address.
    findAccount: (_context, id) => ({
      accountId: id,
      claims: () => ({ sub: `sub-${id}`, email: id, email_verified: true, name: id, groups: ["rmm-techs"] }),
    }),
  });
  forward.to = provider.callback();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  const { authed } = await apiClient();
  // Passwords work again for the specs after this one, whatever step this one stopped at.
  await authed.PUT("/api/v1/sso/settings", { body: { sso_only: false } });
  const providers = (await authed.GET("/api/v1/sso/providers")).data?.items ?? [];
  for (const provider of providers.filter((item) => made.providerNames.includes(item.name))) {
    await authed.DELETE("/api/v1/sso/providers/{id}", { params: { path: { id: provider.id } } });
  }
  const users = (await authed.GET("/api/v1/users")).data?.items ?? [];
  for (const user of users.filter((item) => made.userEmails.includes(item.email))) {
    await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: user.id } } });
  }
  await new Promise<void>((resolve) => (idpServer ? idpServer.close(() => resolve()) : resolve()));
});

/** A browser with no session, as a person opening a link for the first time; its uncaught errors are kept. */
async function freshBrowser(who: string): Promise<Page> {
  const context = await session.browser.newContext({ viewport: { width: 1366, height: 768 } });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  const fresh = await context.newPage();
  fresh.on("pageerror", (error) => session.errors.push(`${who} pageerror: ${error.message}`));
  return fresh;
}

/** The row of the providers table for the provider this file adds. */
function providerRow() {
  return page.locator(`[data-testid="sso-provider-row"][data-name="${PROVIDER_NAME}"]`);
}

describe("single sign-on through an OpenID Connect provider against a live server", () => {
  it("adds a provider, signs a new person in through it, and requires it", async () => {
    let signInUrl = "";

    await step("the administrator opens Single sign-on and sees the redirect URI to register", async () => {
      await logIn(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Single sign-on", exact: true }).click();
      await page.waitForURL((url) => url.pathname === "/single-sign-on");
      await page.getByRole("heading", { level: 1, name: "Single sign-on" }).waitFor();
      expect(await page.getByTestId("sso-redirect-uri").textContent()).toBe(`${baseUrl}/api/v1/auth/sso/callback`);
    });

    await step("they add the provider: technicians by default, admins by group", async () => {
      await page.getByTestId("add-sso-provider").click();
      const dialog = page.getByTestId("sso-provider-dialog");
      await dialog.getByLabel("Name", { exact: true }).fill(PROVIDER_NAME);
      await dialog.getByLabel("Issuer URL").fill(issuer);
      await dialog.getByLabel("Client ID").fill(CLIENT_ID);
      await dialog.getByLabel("Client secret").fill(CLIENT_SECRET);
      await dialog.getByLabel("Email domains").fill("acme.test");
      await dialog.getByTestId("sso-default-access-role").click();
      await page.getByRole("option", { name: "Technician", exact: true }).click();
      await dialog.getByTestId("sso-add-group-rule").click();
      const rule = dialog.getByTestId("sso-group-rule");
      await rule.getByLabel("Group (rule 1)").fill("rmm-admins");
      await rule.getByTestId("sso-group-rule-access-role").click();
      await page.getByRole("option", { name: "Admin", exact: true }).click();
      await dialog.getByRole("button", { name: "Add provider" }).click();
      await dialog.waitFor({ state: "detached" });
      const row = providerRow();
      await row.waitFor();
      expect(await row.getByTestId("sso-provider-domains").textContent()).toBe("acme.test");
      expect(await row.getByTestId("sso-provider-default-access").textContent()).toBe("Technician · All clients");
      expect(await row.getByTestId("sso-provider-rules").textContent()).toBe("1");
      expect(await row.getByTestId("sso-provider-status").textContent()).toBe("Enabled");
    });

    await step("they copy the provider's sign-in link", async () => {
      const row = providerRow();
      await row.getByRole("button", { name: "Copy sign-in link" }).click();
      await row.getByRole("button", { name: "Copied" }).waitFor();
      signInUrl = await page.evaluate(() => navigator.clipboard.readText());
      expect(signInUrl).toBe(await row.getByTestId("sso-sign-in-url").textContent());
      expect(signInUrl).toMatch(new RegExp(`^${baseUrl}/login\\?sso=[0-9a-f-]{36}$`));
    });

    let person!: Page;
    await step("a new person opens the link and goes to the provider from its button", async () => {
      person = await freshBrowser(PERSON);
      await person.goto(signInUrl);
      await person.getByRole("button", { name: `Sign in with ${PROVIDER_NAME}` }).click();
      made.userEmails.push(PERSON);
      await person.waitForURL((url) => url.origin === issuer);
    });

    await step("they sign in on the provider's login page and consent", async () => {
      await person.locator('input[name="login"]').fill(PERSON);
      await person.locator('input[name="password"]').fill("any password the development pages accept");
      await person.getByRole("button", { name: "Sign-in" }).click();
      await person.getByRole("button", { name: "Continue" }).click();
    });

    await step("they land on the dashboard, signed in as a technician", async () => {
      await person.waitForURL((url) => url.origin === baseUrl && url.pathname === "/");
      await person.getByRole("heading", { name: "Overview", exact: true }).waitFor();
      await person.getByTestId("user-menu").filter({ hasText: PERSON }).waitFor();
      await person.getByTestId("user-menu").click();
      await person.getByRole("menu").getByText("· technician").waitFor();
      await person.keyboard.press("Escape");
      // A technician manages no users: the page is not in their navigation.
      const nav = person.getByRole("navigation", { name: "Main" });
      await nav.getByRole("link", { name: "Agents", exact: true }).waitFor();
      expect(await nav.getByRole("link", { name: "Users", exact: true }).count()).toBe(0);
    });

    await step("the administrator's Users page lists them", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
      await page.waitForURL((url) => url.pathname === "/users");
      await page.getByText(PERSON, { exact: true }).waitFor();
    });

    await step("a refusal the server sends back shows on the sign-in page", async () => {
      const visitor = await freshBrowser("visitor");
      const message = "this sign-in expired or was started in another browser; start again";
      await visitor.goto(`${baseUrl}/login?sso_error=${encodeURIComponent(message)}`);
      const alert = visitor.getByTestId("login-sso-error");
      await alert.waitFor();
      expect(await alert.textContent()).toBe(`Single sign-on did not sign you in: ${message}`);
    });

    await step("a technician joins with a password while passwords still work", async () => {
      const { authed } = await apiClient();
      const invitation = expectOk(
        await authed.POST("/api/v1/users", { body: { email: TECHNICIAN, role: "technician" } }),
        `inviting ${TECHNICIAN}`,
      );
      made.userEmails.push(TECHNICIAN);
      const token = new URL(invitation.link ?? "").hash.replace(/^#token=/, "");
      const anonymous = createClient<paths>({ baseUrl });
      expectOk(
        await anonymous.POST("/api/v1/auth/link/accept", { body: { token, password: TECHNICIAN_PASSWORD } }),
        `accepting ${TECHNICIAN}'s invitation`,
      );
    });

    await step("the administrator requires single sign-on", async () => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Single sign-on", exact: true }).click();
      const toggle = page.getByRole("switch", { name: "Sign in only through single sign-on" });
      expect(await toggle.getAttribute("aria-checked")).toBe("false");
      await toggle.click();
      await page.locator('[data-testid="sso-only"][aria-checked="true"]').waitFor();
    });

    await step("the technician's password is refused with the reason", async () => {
      const technician = await freshBrowser(TECHNICIAN);
      await technician.goto(`${baseUrl}/login`);
      await technician.getByLabel("Email").fill(TECHNICIAN);
      await technician.getByLabel("Password").fill(TECHNICIAN_PASSWORD);
      await technician.getByRole("button", { name: "Sign in", exact: true }).click();
      const notice = technician.getByTestId("login-sso-required");
      await notice.waitFor();
      expect(await notice.textContent()).toContain("Your organization signs in through single sign-on, not with a password.");
      expect(technician.url()).toContain("/login");
    });

    await step("the person who signed in through the provider is offered its button on their next visit", async () => {
      await person.getByTestId("user-menu").click();
      await person.getByRole("menuitem", { name: "Log out" }).click();
      await person.waitForURL((url) => url.pathname === "/login");
      await person.getByRole("button", { name: `Sign in with ${PROVIDER_NAME}` }).waitFor();
    });
  });
});
