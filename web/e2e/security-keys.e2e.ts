//! Security keys and passkeys in the browser against a real server, with Chromium's virtual
//! authenticator (the DevTools protocol's WebAuthn domain) as the key: a new user adds a key on
//! their account page (which signs out their other sessions), signs in again with it through the
//! sign-in page's key step, is told clearly when the key cannot verify them and retries, then removes
//! the key with their password (a wrong one is refused on its field) and signs in with the password
//! alone. The dashboard is opened at `localhost`: browsers refuse security keys on an IP address, and
//! on a loopback address the server stands in for `localhost`. The user is removed afterwards.
import createClient from "openapi-fetch";
import type { CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../src/api/schema";
import { apiClient, baseUrl, expectOk, setUpBrowser } from "./support";

const session = setUpBrowser();
const step = session.step;
/** The server's URL with a loopback address named `localhost`, where security keys work. */
const dashboardUrl = baseUrl.replace(/:\/\/(127\.\d+\.\d+\.\d+|\[::1\])(?=[:/]|$)/, "://localhost");
let page: Page;
let cdp: CDPSession;
let authenticatorId = "";
/** What this file makes, removed afterwards. */
const made = { userEmail: "" };

beforeAll(async () => {
  page = session.page;
  cdp = await session.context.newCDPSession(page);
  // No browser dialog: the virtual authenticator answers by itself, verifying the user as told.
  await cdp.send("WebAuthn.enable", { enableUI: false });
  ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  }));
});

afterAll(async () => {
  const { authed } = await apiClient();
  if (made.userEmail) {
    const user = (await authed.GET("/api/v1/users")).data?.items.find((item) => item.email === made.userEmail);
    if (user) {
      if (user.second_factor) await authed.POST("/api/v1/users/{id}/reset-second-factor", { params: { path: { id: user.id } } });
      await authed.DELETE("/api/v1/users/{id}", { params: { path: { id: user.id } } });
    }
  }
});

async function fillSignIn(who: string, password: string) {
  await page.getByLabel("Email").fill(who);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut() {
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Log out" }).click();
  await page.waitForURL((url) => url.pathname === "/login");
}

async function expectSignedIn(who: string) {
  await page.waitForURL((url) => url.pathname !== "/login");
  await page.getByTestId("user-menu").filter({ hasText: who }).waitFor();
}

async function openAccount() {
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Your account" }).click();
  await page.getByTestId("security-keys-card").waitFor();
}

async function credentialsOnTheKey(): Promise<number> {
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  return credentials.length;
}

/** How many times the virtual key has signed: it counts up with every answer it gives. */
async function signatures(): Promise<number> {
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  return credentials[0]?.signCount ?? 0;
}

/**
 * Starts noting whether the sign-in page shows its key step. The step may last only as long as the
 * virtual key takes to answer, so a DOM observer notes it rather than a wait that could miss it; the
 * page is not reloaded on signing in, so the note survives.
 */
async function watchForKeyStep() {
  await page.evaluate(() => {
    const marked = window as unknown as { keyStepSeen: boolean };
    marked.keyStepSeen = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="login-security-key-step"]')) marked.keyStepSeen = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
}

async function keyStepSeen(): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { keyStepSeen?: boolean }).keyStepSeen === true);
}

describe("security keys against a live server", () => {
  it("adds a key, signs in with it, says when it fails, and removes it with the password", async () => {
    const unique = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const userEmail = `security-key-${unique}@e2e.test`;
    const userPassword = `security key password ${unique}`;
    const keyName = "E2E virtual key";
    const anonymous = createClient<paths>({ baseUrl });

    await step("an administrator invites a user, who chooses a password and signs in at localhost", async () => {
      const { authed } = await apiClient();
      const invitation = expectOk(
        await authed.POST("/api/v1/users", { body: { email: userEmail, role: "technician" } }),
        "inviting the user",
      );
      made.userEmail = userEmail;
      const token = new URL(invitation.link ?? "").hash.replace(/^#token=/, "");
      expectOk(await anonymous.POST("/api/v1/auth/link/accept", { body: { token, password: userPassword } }), "accepting the invitation");
      expect(new URL(dashboardUrl).hostname).toBe("localhost");
      await page.goto(`${dashboardUrl}/login`);
      await fillSignIn(userEmail, userPassword);
      await expectSignedIn(userEmail);
    });

    let otherSession = "";
    await step("on the account page they add a key; their other sessions end", async () => {
      const signedIn = expectOk(
        await anonymous.POST("/api/v1/auth/login", { body: { email: userEmail, password: userPassword } }),
        "an API sign-in",
      );
      otherSession = signedIn.token ?? "";
      await openAccount();
      const card = page.getByTestId("security-keys-card");
      expect(await card.getByTestId("security-keys-empty").textContent()).toBe("No security key yet.");
      expect(await page.getByTestId("two-factor-status").textContent()).toBe("Off");
      await card.getByRole("button", { name: "Add a security key" }).click();
      const dialog = page.getByTestId("security-key-add-dialog");
      await dialog.getByLabel("Name of the key").fill(keyName);
      await dialog.getByRole("button", { name: "Add the key" }).click();
      await page.getByText(`Security key “${keyName}” added. Your other sessions were signed out.`).waitFor();
      await dialog.waitFor({ state: "detached" });
      const row = card.getByTestId("security-key");
      await row.waitFor();
      expect(await row.getByTestId("security-key-name").textContent()).toBe(keyName);
      expect(await row.textContent()).toContain("not used yet");
      expect(await credentialsOnTheKey()).toBe(1);
      await expect.poll(() => page.getByTestId("two-factor-status").textContent()).toBe("On");
      const other = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${otherSession}` } });
      expect((await other.GET("/api/v1/auth/me")).response.status).toBe(401);
    });

    await step("signing in again asks the key, which answers, and the dashboard opens", async () => {
      await signOut();
      const signedBefore = await signatures();
      await watchForKeyStep();
      await fillSignIn(userEmail, userPassword);
      await expectSignedIn(userEmail);
      expect(await keyStepSeen()).toBe(true);
      expect(await signatures()).toBeGreaterThan(signedBefore);
    });

    await step("a key that cannot verify the user gives a clear failure, and a retry signs in", async () => {
      await signOut();
      await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
      await fillSignIn(userEmail, userPassword);
      const failure = page.getByTestId("login-security-key-error");
      await failure.waitFor();
      expect(await failure.textContent()).toMatch(/^Your security key did not answer: .*the key could not verify you/);
      expect(new URL(page.url()).pathname).toBe("/login");
      expect(await page.getByRole("heading", { name: "Use your security key" }).isVisible()).toBe(true);
      await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: true });
      const signedBefore = await signatures();
      await page.getByRole("button", { name: "Try your security key again" }).click();
      await expectSignedIn(userEmail);
      expect(await signatures()).toBeGreaterThan(signedBefore);
    });

    await step("the account page shows the key used; a wrong password does not remove it, the right one does", async () => {
      await openAccount();
      const row = page.getByTestId("security-key");
      await row.waitFor();
      expect(await row.textContent()).toMatch(/last used/);
      await row.getByRole("button", { name: `Remove ${keyName}` }).click();
      const dialog = page.getByTestId("security-key-remove-dialog");
      await dialog.getByLabel("Your password").fill("not the password at all");
      await dialog.getByRole("button", { name: "Remove the key" }).click();
      expect(await dialog.getByTestId("security-key-password-error").textContent()).toBe("This is not your password");
      await dialog.getByLabel("Your password").fill(userPassword);
      await dialog.getByRole("button", { name: "Remove the key" }).click();
      await page.getByText(`Security key “${keyName}” removed. Your other sessions were signed out.`).waitFor();
      await page.getByTestId("security-keys-empty").waitFor();
      await expect.poll(() => page.getByTestId("two-factor-status").textContent()).toBe("Off");
    });

    await step("without the key the password alone signs in", async () => {
      await signOut();
      await watchForKeyStep();
      await fillSignIn(userEmail, userPassword);
      await expectSignedIn(userEmail);
      expect(await keyStepSeen()).toBe(false);
    });
  });
});
