import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Toaster } from "sonner";
import type { LoginResponse } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { getSession, sessionChanged } from "@/lib/session";
import { renderPage, testUser } from "@/test/render-page";
import { accountKeys, type Session } from "../api/account";
import { AccountPage } from "./account-page";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

function session(overrides: Partial<Session> & Pick<Session, "id">): Session {
  return {
    created_at: new Date(Date.now() - 3_600_000).toISOString(),
    expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    ip: "192.0.2.10",
    user_agent: CHROME,
    current: false,
    ...overrides,
  };
}

const sessions = [
  session({ id: "s-here", current: true }),
  session({ id: "s-laptop", user_agent: FIREFOX, ip: "198.51.100.7", created_at: new Date(Date.now() - 3 * 86_400_000).toISOString() }),
  session({ id: "s-script", user_agent: "curl/8.5.0", ip: null }),
];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

type Route = (request: Request) => Response | undefined;

function serve(route: Route) {
  fetchMock.mockImplementation(async (input) => route(input as Request) ?? json({ items: sessions }));
}

function pathOf(request: Request): string {
  return new URL(request.url).pathname;
}

function calls(path: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => pathOf(request) === path);
}

function renderAccount() {
  return renderPage(<AccountPage />, {
    role: "technician",
    seed: [
      [accountKeys.sessions, { items: sessions }],
      [accountKeys.securityKeys, { items: [], authenticator_app: false }],
    ],
  });
}

async function fillPasswords(current: string, next: string, confirm = next) {
  const card = await screen.findByTestId("change-password-card");
  if (current) await userEvent.type(within(card).getByLabelText("Current password"), current);
  await userEvent.type(within(card).getByLabelText("New password"), next);
  await userEvent.type(within(card).getByLabelText("Confirm the new password"), confirm);
  await userEvent.click(within(card).getByRole("button", { name: "Change password" }));
  return card;
}

describe("AccountPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    serve(() => undefined);
    // A browser that can use security keys (jsdom has no WebAuthn).
    vi.stubGlobal("PublicKeyCredential", function PublicKeyCredential() {});
  });

  afterEach(() => vi.unstubAllGlobals());

  it("names the signed-in user", async () => {
    renderAccount();
    expect(await screen.findByRole("heading", { level: 1, name: "Your account" })).toBeInTheDocument();
    expect(screen.getByText("tech@example.com · Technician at Best MSP")).toBeInTheDocument();
  });

  it("checks the new password before sending it", async () => {
    renderAccount();
    let card = await fillPasswords("old password here", "short");
    expect(within(card).getByTestId("new-password-error")).toHaveTextContent("Use at least 12 characters.");

    await userEvent.clear(within(card).getByLabelText("New password"));
    await userEvent.clear(within(card).getByLabelText("Confirm the new password"));
    card = await fillPasswords("", "a new long password", "a new long passw0rd");
    expect(within(card).getByTestId("confirm-password-error")).toHaveTextContent("The two passwords differ.");

    await userEvent.clear(within(card).getByLabelText("Current password"));
    await userEvent.click(within(card).getByRole("button", { name: "Change password" }));
    expect(within(card).getByTestId("current-password-error")).toHaveTextContent("Enter your current password.");
    expect(calls("/api/v1/auth/password")).toHaveLength(0);
  });

  it("shows a wrong current password on its field", async () => {
    serve((request) =>
      pathOf(request) === "/api/v1/auth/password"
        ? json({ error: { code: "invalid", message: "current_password: this is not your current password" } }, 422)
        : undefined,
    );
    renderAccount();
    const card = await fillPasswords("not my password", "a new long password");
    expect(await within(card).findByTestId("current-password-error")).toHaveTextContent("This is not your current password");
    expect(within(card).getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
    expect(calls("/api/v1/auth/login")).toHaveLength(0);
  });

  it("changes the password and signs in again with the new one", async () => {
    const again: LoginResponse = { token: null, expires_at: new Date(Date.now() + 86_400_000).toISOString(), user: testUser("technician") };
    serve((request) => {
      if (pathOf(request) === "/api/v1/auth/password") return new Response(null, { status: 204 });
      if (pathOf(request) === "/api/v1/auth/login") return json(again);
      return undefined;
    });
    const { queryClient } = renderAccount();
    const card = await fillPasswords("the old password", "a new long password");
    await waitFor(() => expect(calls("/api/v1/auth/login")).toHaveLength(1));
    expect(await calls("/api/v1/auth/password")[0]!.clone().json()).toEqual({
      current_password: "the old password",
      new_password: "a new long password",
    });
    expect(await calls("/api/v1/auth/login")[0]!.clone().json()).toEqual({
      email: "tech@example.com",
      password: "a new long password",
      cookie: true,
    });
    await waitFor(() => expect(within(card).getByLabelText("Current password")).toHaveValue(""));
    expect(queryClient.getQueryData(currentUserQueryKey)).toEqual(again.user);
  });

  it("sends a user with a second factor to sign in again with a code, saying so", async () => {
    serve((request) => {
      if (pathOf(request) === "/api/v1/auth/password") return new Response(null, { status: 204 });
      if (pathOf(request) === "/api/v1/auth/login") {
        return json({ error: { code: "second_factor_required", message: "enter the code from your authenticator app" } }, 401);
      }
      return undefined;
    });
    document.cookie = "gururmm_csrf=test-csrf; Path=/";
    sessionChanged();
    const { queryClient } = renderPage(
      <>
        <AccountPage />
        <Toaster />
      </>,
      { seed: [[accountKeys.sessions, { items: sessions }]] },
    );
    await fillPasswords("the old password", "a new long password");
    expect(
      await screen.findByText("Password changed. Sign in again with the new password and a code from your authenticator app."),
    ).toBeInTheDocument();
    expect(screen.queryByTestId("change-password-failure")).toBeNull();
    expect(calls("/api/v1/auth/login")).toHaveLength(1);
    // The session is forgotten, which takes the dashboard to the sign-in page; no new sign-in replaced it.
    expect(getSession()).toBeNull();
    expect(queryClient.getQueryData(currentUserQueryKey)).toEqual(testUser("technician"));
  });

  it("links to the user's API keys, and says nothing of a requirement their organization does not have", async () => {
    renderAccount();
    expect(await screen.findByRole("link", { name: "API keys" })).toHaveAttribute("href", "/api-keys");
    expect(screen.queryByTestId("second-factor-required-notice")).toBeNull();
  });

  it("explains that the organization requires two-factor authentication before anything else", async () => {
    const { queryClient } = renderAccount();
    queryClient.setQueryData(currentUserQueryKey, { ...testUser("technician"), second_factor_setup_required: true });
    const notice = await screen.findByTestId("second-factor-required-notice");
    expect(notice).toHaveTextContent("Best MSP requires two-factor authentication");
    expect(notice).toHaveTextContent("Set up two-factor authentication below before you continue");
    expect(notice).toHaveTextContent("an authenticator app on your phone, or a security key or passkey");
    expect(
      within(screen.getByTestId("two-factor-card")).getByRole("button", { name: "Set up two-factor authentication" }),
    ).toBeInTheDocument();
    // A security key serves as well.
    expect(within(screen.getByTestId("security-keys-card")).getByRole("button", { name: "Add a security key" })).toBeInTheDocument();
    // Nowhere else is open to them until they have.
    expect(screen.queryByRole("link", { name: "API keys" })).toBeNull();
  });

  it("shows the second factor card, off for a user without one", async () => {
    renderAccount();
    const card = await screen.findByTestId("two-factor-card");
    expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("Off");
    expect(within(card).getByRole("button", { name: "Set up two-factor authentication" })).toBeInTheDocument();
  });

  it("lists the sessions with this one marked, and signs out another", async () => {
    serve((request) => (request.method === "DELETE" ? new Response(null, { status: 204 }) : undefined));
    renderAccount();
    const rows = await screen.findAllByTestId("session-row");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("Chrome on Linux");
    expect(within(rows[0]!).getByTestId("this-session")).toHaveTextContent("This session");
    expect(within(rows[0]!).queryByRole("button")).toBeNull();
    expect(rows[1]).toHaveTextContent("Firefox on Windows");
    expect(rows[1]).toHaveTextContent("198.51.100.7");
    expect(rows[1]).toHaveTextContent("3 days ago");
    expect(within(rows[1]!).queryByTestId("this-session")).toBeNull();
    expect(rows[2]).toHaveTextContent("curl");

    await userEvent.click(within(rows[1]!).getByRole("button", { name: "Sign out Firefox on Windows from 198.51.100.7" }));
    await waitFor(() => expect(calls("/api/v1/auth/sessions/s-laptop").map((request) => request.method)).toEqual(["DELETE"]));
  });

  it("signs out everywhere else after asking", async () => {
    serve((request) => (pathOf(request) === "/api/v1/auth/sessions/revoke-others" ? json({ revoked: 2 }) : undefined));
    renderAccount();
    await userEvent.click(await screen.findByRole("button", { name: "Sign out everywhere else" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Your 2 other sessions end; this one stays signed in.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(calls("/api/v1/auth/sessions/revoke-others")).toHaveLength(1));
  });

  it("offers no sign-out everywhere else when this is the only session", async () => {
    renderPage(<AccountPage />, { seed: [[accountKeys.sessions, { items: [sessions[0]] }]] });
    expect(await screen.findByTestId("this-session")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Sign out everywhere else" })).toBeNull();
  });
});
