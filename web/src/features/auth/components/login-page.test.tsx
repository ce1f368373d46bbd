import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { LoginResponse } from "@/api/types";
import { renderPage, testUser } from "@/test/render-page";
import { appCode, LoginPage } from "./login-page";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const SIGNED_IN: LoginResponse = { token: null, expires_at: new Date(Date.now() + 86_400_000).toISOString(), user: testUser("technician") };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(code: string, message: string, status = 401): Response {
  return json({ error: { code, message } }, status);
}

const REQUIRED = () =>
  refusal("second_factor_required", "enter the code from your authenticator app (totp), or a recovery code (recovery_code)");
const INVALID = () => refusal("second_factor_invalid", "that code is wrong, was used already, or has expired");

/**
 * Answers each sign-in in turn with the next of `answers`. The user has no security key: the key
 * challenge the page asks for after `second_factor_required` is a 409 (see login-security-key.test.tsx).
 */
function answerLogins(...answers: (() => Response)[]) {
  let next = 0;
  fetchMock.mockImplementation(async (input) =>
    new URL((input as Request).url).pathname === "/api/v1/auth/webauthn/challenge"
      ? refusal("no_security_key", "you have no security key; use your authenticator app's code", 409)
      : (answers[next++] ?? (() => json(SIGNED_IN)))(),
  );
}

function logins(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => new URL(request.url).pathname === "/api/v1/auth/login");
}

async function bodies(): Promise<unknown[]> {
  return Promise.all(logins().map((request) => request.clone().json()));
}

function renderLogin() {
  const onLoggedIn = vi.fn();
  renderPage(<LoginPage onLoggedIn={onLoggedIn} />);
  return onLoggedIn;
}

async function signIn(email = "ann@example.com", password = "correct horse battery") {
  await userEvent.type(await screen.findByLabelText("Email"), email);
  await userEvent.type(screen.getByLabelText("Password"), password);
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("LoginPage", () => {
  // A block: a function that `beforeEach` returns (as `mockReset` returns the mock) is run as its cleanup.
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("signs in with the password alone when the user has no second factor", async () => {
    answerLogins(() => json(SIGNED_IN));
    const onLoggedIn = renderLogin();
    await signIn();
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
    expect(await bodies()).toEqual([{ email: "ann@example.com", password: "correct horse battery", cookie: true }]);
  });

  it("shows a refused password and stays on the first step", async () => {
    answerLogins(() => refusal("unauthorized", "wrong email or password"));
    const onLoggedIn = renderLogin();
    await signIn();
    expect(await screen.findByTestId("login-error")).toHaveTextContent("wrong email or password");
    expect(screen.getByLabelText("Password")).toBeInTheDocument();
    expect(screen.queryByTestId("login-second-factor")).toBeNull();
    expect(onLoggedIn).not.toHaveBeenCalled();
  });

  it("says an operator's support access ended when that is why it opened, and nothing otherwise", async () => {
    answerLogins(() => json(SIGNED_IN));
    const onLoggedIn = vi.fn();
    renderPage(<LoginPage ended="support" onLoggedIn={onLoggedIn} />);
    expect(await screen.findByTestId("login-ended")).toHaveTextContent(
      "Your support access ended: its time was up. Sign in again to continue in your own organization.",
    );
    await signIn();
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
  });

  it("says nothing of support access on a usual sign-in", async () => {
    renderLogin();
    await screen.findByLabelText("Email");
    expect(screen.queryByTestId("login-ended")).toBeNull();
  });

  it("shows a suspended organization's refusal as the server words it", async () => {
    const suspended = "your organization is suspended; ask the operator of this GuruRMM server";
    answerLogins(() => refusal("forbidden", suspended, 403));
    const onLoggedIn = renderLogin();
    await signIn();
    expect(await screen.findByTestId("login-error")).toHaveTextContent(new RegExp(`^${suspended}$`));
    expect(screen.getByLabelText("Password")).toBeInTheDocument();
    expect(screen.queryByTestId("login-second-factor")).toBeNull();
    expect(onLoggedIn).not.toHaveBeenCalled();
  });

  it("asks for the app's code when the server requires one, and sends it with the password", async () => {
    answerLogins(REQUIRED, () => json(SIGNED_IN));
    const onLoggedIn = renderLogin();
    await signIn();
    expect(await screen.findByRole("heading", { name: "Two-factor authentication" })).toBeInTheDocument();
    expect(screen.getByTestId("login-second-factor")).toHaveTextContent(
      "Enter the 6-digit code your authenticator app shows for ann@example.com.",
    );
    expect(screen.queryByTestId("login-error")).toBeNull();
    const code = screen.getByLabelText("Authentication code");
    expect(code).toHaveAttribute("autocomplete", "one-time-code");
    expect(code).toHaveAttribute("inputmode", "numeric");
    expect(code).toHaveFocus();

    await userEvent.type(code, "123 456");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
    expect((await bodies())[1]).toEqual({ email: "ann@example.com", password: "correct horse battery", cookie: true, totp: "123456" });
  });

  it("says a wrong, used or expired code on the field and keeps the step", async () => {
    answerLogins(REQUIRED, INVALID, () => json(SIGNED_IN));
    const onLoggedIn = renderLogin();
    await signIn();
    await userEvent.type(await screen.findByLabelText("Authentication code"), "000000");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    expect(await screen.findByTestId("login-code-error")).toHaveTextContent("That code is wrong, was used already, or has expired.");
    expect(screen.getByLabelText("Authentication code")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("heading", { name: "Two-factor authentication" })).toBeInTheDocument();
    expect(onLoggedIn).not.toHaveBeenCalled();

    await userEvent.clear(screen.getByLabelText("Authentication code"));
    expect(screen.queryByTestId("login-code-error")).toBeNull();
    await userEvent.type(screen.getByLabelText("Authentication code"), "654321");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
    expect((await bodies())[2]).toMatchObject({ totp: "654321", password: "correct horse battery" });
  });

  it("asks for six digits before sending the app's code", async () => {
    answerLogins(REQUIRED);
    renderLogin();
    await signIn();
    await userEvent.type(await screen.findByLabelText("Authentication code"), "12345");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    expect(screen.getByTestId("login-code-error")).toHaveTextContent("Enter the 6-digit code from your authenticator app.");
    expect(logins()).toHaveLength(1);
  });

  it("signs in with a recovery code instead, and says when one is wrong or used", async () => {
    answerLogins(REQUIRED, INVALID, () => json(SIGNED_IN));
    const onLoggedIn = renderLogin();
    await signIn();
    await userEvent.click(await screen.findByRole("button", { name: "Use a recovery code instead" }));
    const recovery = screen.getByLabelText("Recovery code");
    expect(recovery).toHaveAttribute("autocomplete", "off");
    expect(screen.queryByLabelText("Authentication code")).toBeNull();
    expect(screen.getByTestId("login-second-factor")).toHaveTextContent("Enter one of the recovery codes you saved for ann@example.com.");

    await userEvent.type(recovery, "a1b2c-d3e4f-0a1b2-c3d4e");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    expect(await screen.findByTestId("login-code-error")).toHaveTextContent("That recovery code is wrong or was used already.");

    await userEvent.clear(screen.getByLabelText("Recovery code"));
    await userEvent.type(screen.getByLabelText("Recovery code"), "f0e1d-c2b3a-49876-54321");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
    const last = (await bodies())[2] as Record<string, unknown>;
    expect(last).toEqual({
      email: "ann@example.com",
      password: "correct horse battery",
      cookie: true,
      recovery_code: "f0e1d-c2b3a-49876-54321",
    });

    // And back to the app's code.
    expect(screen.getByRole("button", { name: "Use the app's code instead" })).toBeInTheDocument();
  });

  it("goes back to the password, forgetting it", async () => {
    answerLogins(REQUIRED);
    renderLogin();
    await signIn();
    await userEvent.click(await screen.findByRole("button", { name: "Back" }));
    expect(screen.getByLabelText("Email")).toHaveValue("ann@example.com");
    expect(screen.getByLabelText("Password")).toHaveValue("");
  });

  it("starts over when the password stops working during the second step", async () => {
    answerLogins(REQUIRED, () => refusal("unauthorized", "wrong email or password"));
    renderLogin();
    await signIn();
    await userEvent.type(await screen.findByLabelText("Authentication code"), "123456");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    expect(await screen.findByTestId("login-error")).toHaveTextContent("wrong email or password");
    expect(screen.getByLabelText("Password")).toHaveValue("");
  });
});

describe("appCode", () => {
  it("reads the app's code as people type it", () => {
    expect(appCode("123 456")).toBe("123456");
    expect(appCode("123-456")).toBe("123456");
    expect(appCode("1234567")).toBeNull();
  });
});
