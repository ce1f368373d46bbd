import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { LoginResponse } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { renderPage, testUser } from "@/test/render-page";
import type { LinkInfo } from "../api/links";
import { WelcomePage } from "./welcome-page";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const TOKEN = "gri_0123456789abcdef";
const PASSWORD = "correct horse battery";

function info(overrides: Partial<LinkInfo> = {}): LinkInfo {
  return {
    kind: "invitation",
    email: "new@example.com",
    organization_name: "Best MSP",
    role: "technician",
    expires_at: new Date(Date.now() + 72 * 3_600_000).toISOString(),
    ...overrides,
  };
}

const signedIn: LoginResponse = {
  token: null,
  expires_at: new Date(Date.now() + 86_400_000).toISOString(),
  user: { ...testUser("technician"), id: "new", email: "new@example.com" },
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const GONE = { error: { code: "not_found", message: "link (it may have been used or expired) not found" } };

/** Answers the look-up with `lookUp` and the acceptance with `accept`. */
function serve(lookUp: () => Response, accept: () => Response = () => json(signedIn)) {
  fetchMock.mockImplementation(async (input) => {
    const path = new URL((input as Request).url).pathname;
    if (path === "/api/v1/auth/link") return lookUp();
    if (path === "/api/v1/auth/link/accept") return accept();
    return json({ error: { code: "not_found", message: "unexpected" } }, 404);
  });
}

function renderWelcome(token: string | null = TOKEN) {
  const onSignedIn = vi.fn();
  const rendered = renderPage(<WelcomePage token={token} onSignedIn={onSignedIn} />);
  return { ...rendered, onSignedIn };
}

function calls(path: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => new URL(request.url).pathname === path);
}

async function choose(password: string, confirm = password) {
  const form = await screen.findByTestId("welcome-form");
  await userEvent.type(within(form).getByLabelText("New password"), password);
  await userEvent.type(within(form).getByLabelText("Confirm the password"), confirm);
  await userEvent.click(within(form).getByTestId("welcome-submit"));
  return form;
}

describe("WelcomePage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("lets an invited person join with a password and signs them in", async () => {
    serve(() => json(info()));
    const { onSignedIn, queryClient } = renderWelcome();
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Join Best MSP as a technician");
    expect(screen.getByTestId("welcome-form")).toHaveTextContent("You will sign in as new@example.com");
    expect(await calls("/api/v1/auth/link")[0]!.clone().json()).toEqual({ token: TOKEN });

    await choose(PASSWORD);
    await vi.waitFor(() => expect(onSignedIn).toHaveBeenCalled());
    expect(await calls("/api/v1/auth/link/accept")[0]!.clone().json()).toEqual({ token: TOKEN, password: PASSWORD, cookie: true });
    expect(queryClient.getQueryData(currentUserQueryKey)).toEqual(signedIn.user);
    // The token never travels in a URL.
    for (const call of fetchMock.mock.calls) expect((call[0] as Request).url).not.toContain(TOKEN);
  });

  it("names a custom role by its name", async () => {
    serve(() => json(info({ role: "custom", custom_role: { id: "r1", name: "Helpdesk" } })));
    renderWelcome();
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Join Best MSP with the role Helpdesk");
  });

  it("sets a new password from a reset link", async () => {
    serve(() => json(info({ kind: "password_reset", email: "tina@example.com" })));
    const { onSignedIn } = renderWelcome();
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Set a new password for tina@example.com");
    expect(screen.getByTestId("welcome-form")).toHaveTextContent("signs out your other sessions");
    await choose(PASSWORD);
    await vi.waitFor(() => expect(onSignedIn).toHaveBeenCalled());
    expect(screen.getByTestId("welcome-submit")).toHaveTextContent("Set password and sign in");
  });

  it("explains a used or expired link and offers to sign in", async () => {
    serve(() => json(GONE, 404));
    renderWelcome();
    const gone = await screen.findByTestId("link-unusable");
    expect(gone).toHaveTextContent("This link no longer works");
    expect(gone).toHaveTextContent("Ask your administrator for a new link.");
    expect(within(gone).getByRole("link", { name: "Go to sign in" })).toHaveAttribute("href", "/login");
    expect(screen.queryByLabelText("New password")).toBeNull();
  });

  it("says so when the link was used while the page was open", async () => {
    serve(
      () => json(info()),
      () => json(GONE, 404),
    );
    const { onSignedIn } = renderWelcome();
    await choose(PASSWORD);
    expect(await screen.findByTestId("link-unusable")).toHaveTextContent("This link no longer works");
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("says a link without a token is incomplete, asking nothing of the server", async () => {
    renderWelcome(null);
    expect(await screen.findByTestId("link-unusable")).toHaveTextContent("This link is incomplete");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("refuses passwords that differ before sending them", async () => {
    serve(() => json(info()));
    const { onSignedIn } = renderWelcome();
    const form = await choose(PASSWORD, `${PASSWORD}!`);
    expect(within(form).getByTestId("welcome-confirm-error")).toHaveTextContent("The two passwords differ.");
    expect(within(form).getByLabelText("Confirm the password")).toHaveAttribute("aria-invalid", "true");
    expect(calls("/api/v1/auth/link/accept")).toHaveLength(0);
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("refuses a password shorter than 12 characters before sending it", async () => {
    serve(() => json(info()));
    renderWelcome();
    const form = await choose("too short");
    expect(within(form).getByTestId("welcome-password-error")).toHaveTextContent("Use at least 12 characters.");
    expect(calls("/api/v1/auth/link/accept")).toHaveLength(0);
  });

  it("shows the server's refusal of the password on its field", async () => {
    serve(
      () => json(info()),
      () => json({ error: { code: "invalid", message: "password: passwords must have at most 1024 bytes" } }, 422),
    );
    const { onSignedIn } = renderWelcome();
    const form = await choose(PASSWORD);
    expect(await within(form).findByTestId("welcome-password-error")).toHaveTextContent("Passwords must have at most 1024 bytes");
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("says the account is ready when the organization signs in only through single sign-on", async () => {
    const required = {
      error: { code: "sso_required", message: "your organization signs in through single sign-on; use its sign-in link" },
    };
    serve(
      () => json(info()),
      () => json(required, 401),
    );
    const { onSignedIn } = renderWelcome();
    await choose(PASSWORD);
    const ready = await screen.findByTestId("welcome-sso-required");
    expect(within(ready).getByRole("heading", { level: 1 })).toHaveTextContent("Your account is ready");
    expect(ready).toHaveTextContent(
      "Best MSP signs in through single sign-on, not with a password: sign in as new@example.com through your organization's identity provider",
    );
    expect(within(ready).getByRole("link", { name: "Go to sign in" })).toHaveAttribute("href", "/login");
    expect(screen.queryByTestId("welcome-form")).toBeNull();
    expect(onSignedIn).not.toHaveBeenCalled();
  });
});
