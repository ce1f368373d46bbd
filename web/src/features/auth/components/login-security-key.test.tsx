import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { LoginResponse } from "@/api/types";
import { base64UrlToBuffer } from "@/lib/webauthn";
import { renderPage, testUser } from "@/test/render-page";
import { LoginPage } from "./login-page";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const SIGNED_IN: LoginResponse = { token: null, expires_at: new Date(Date.now() + 86_400_000).toISOString(), user: testUser("technician") };
const CHALLENGE = "/api/v1/auth/webauthn/challenge";
const LOGIN = "/api/v1/auth/login";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(code: string, message: string, status = 401): Response {
  return json({ error: { code, message } }, status);
}

const REQUIRED = () => refusal("second_factor_required", "enter the code from your authenticator app (totp), or use your security key");

/** The n-th challenge the server gives (its id and its challenge bytes differ each time). */
function ceremony(n: number) {
  return {
    challenge_id: `challenge-${n}`,
    options: {
      publicKey: {
        challenge: ["AAEC", "AwQF", "BgcI"][n - 1] ?? "CQoL",
        timeout: 300000,
        rpId: "localhost",
        allowCredentials: [{ type: "public-key", id: "qrvM" }],
        userVerification: "required",
      },
    },
  };
}

/** Answers the key challenges with fresh ceremonies and each login with the next of `logins`. */
function serve(...logins: (() => Response)[]) {
  let challenges = 0;
  let next = 0;
  fetchMock.mockImplementation(async (input) => {
    const path = new URL((input as Request).url).pathname;
    if (path === CHALLENGE) return json(ceremony(++challenges));
    return (logins[next++] ?? (() => json(SIGNED_IN)))();
  });
}

function requests(path: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => new URL(request.url).pathname === path);
}

async function bodies(path: string): Promise<Record<string, unknown>[]> {
  return Promise.all(requests(path).map((request) => request.clone().json() as Promise<Record<string, unknown>>));
}

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

/** What the browser answers when the key signs. */
const ASSERTION = {
  id: "qrvM",
  rawId: bytes(0xaa, 0xbb, 0xcc),
  type: "public-key",
  response: { authenticatorData: bytes(1, 2), clientDataJSON: bytes(3), signature: bytes(4), userHandle: bytes(5) },
  getClientExtensionResults: () => ({}),
};
const ASSERTION_JSON = {
  id: "qrvM",
  rawId: "qrvM",
  type: "public-key",
  response: { authenticatorData: "AQI", clientDataJSON: "Aw", signature: "BA", userHandle: "BQ" },
  extensions: {},
};

const getCredential = vi.fn<(options: CredentialRequestOptions) => Promise<unknown>>();

function renderLogin() {
  const onLoggedIn = vi.fn();
  renderPage(<LoginPage onLoggedIn={onLoggedIn} />);
  return onLoggedIn;
}

async function signIn() {
  await userEvent.type(await screen.findByLabelText("Email"), "kim@example.com");
  await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

function challengeBytes(call: number): number[] {
  const options = getCredential.mock.calls[call]?.[0];
  return Array.from(new Uint8Array(options?.publicKey?.challenge as ArrayBuffer));
}

describe("LoginPage with a security key", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    getCredential.mockReset();
    vi.stubGlobal("PublicKeyCredential", function PublicKeyCredential() {});
    Object.defineProperty(navigator, "credentials", { value: { get: getCredential }, configurable: true });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("asks the key at once after the password, and signs in with its answer", async () => {
    serve(REQUIRED);
    getCredential.mockResolvedValue(ASSERTION);
    const onLoggedIn = renderLogin();
    await signIn();
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));

    expect(await bodies(CHALLENGE)).toEqual([{ email: "kim@example.com", password: "correct horse battery" }]);
    // The browser got the server's options with the challenge and the key's id as bytes.
    expect(getCredential).toHaveBeenCalledTimes(1);
    expect(challengeBytes(0)).toEqual([0, 1, 2]);
    const allowed = getCredential.mock.calls[0]?.[0].publicKey?.allowCredentials?.[0];
    expect(Array.from(new Uint8Array(allowed?.id as ArrayBuffer))).toEqual(Array.from(new Uint8Array(base64UrlToBuffer("qrvM"))));
    expect(getCredential.mock.calls[0]?.[0].publicKey?.userVerification).toBe("required");

    const logins = await bodies(LOGIN);
    expect(logins).toHaveLength(2);
    expect(logins[1]).toEqual({
      email: "kim@example.com",
      password: "correct horse battery",
      cookie: true,
      webauthn: { challenge_id: "challenge-1", credential: ASSERTION_JSON },
    });
  });

  it("says a cancelled prompt plainly and asks again with a fresh challenge", async () => {
    serve(REQUIRED);
    getCredential.mockRejectedValueOnce(new DOMException("The operation either timed out or was not allowed.", "NotAllowedError"));
    const onLoggedIn = renderLogin();
    await signIn();
    expect(await screen.findByTestId("login-security-key-error")).toHaveTextContent(
      /^Your security key did not answer: the request was cancelled or timed out/,
    );
    expect(onLoggedIn).not.toHaveBeenCalled();
    expect(requests(LOGIN)).toHaveLength(1);

    getCredential.mockResolvedValueOnce(ASSERTION);
    await userEvent.click(screen.getByRole("button", { name: "Try your security key again" }));
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
    // The first challenge was not spent, but the retry asks a new one: each is asked, used once.
    expect(challengeBytes(1)).toEqual([3, 4, 5]);
    expect((await bodies(LOGIN))[1]).toMatchObject({ webauthn: { challenge_id: "challenge-2" } });
    expect(screen.queryByTestId("login-security-key-error")).toBeNull();
  });

  it("says the server refused the key's answer, and lets the user try again", async () => {
    serve(REQUIRED, () => refusal("second_factor_invalid", "that code is wrong, was used already, or has expired"));
    getCredential.mockResolvedValue(ASSERTION);
    const onLoggedIn = renderLogin();
    await signIn();
    expect(await screen.findByTestId("login-security-key-error")).toHaveTextContent(
      "Your security key’s answer was not accepted: use a key registered for this account, and try again.",
    );
    await userEvent.click(screen.getByRole("button", { name: "Try your security key again" }));
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
  });

  it("falls back to the app's code, and comes back to the key with a fresh challenge", async () => {
    serve(REQUIRED, () => refusal("second_factor_invalid", "that code is wrong, was used already, or has expired"));
    getCredential.mockReturnValueOnce(new Promise(() => undefined));
    const onLoggedIn = renderLogin();
    await signIn();
    expect(await screen.findByRole("heading", { name: "Use your security key" })).toBeInTheDocument();
    expect(screen.getByTestId("login-security-key")).toHaveTextContent("Sign in as kim@example.com with your security key or passkey");

    await userEvent.click(screen.getByRole("button", { name: "Use a code from your authenticator app instead" }));
    await userEvent.type(screen.getByLabelText("Authentication code"), "123456");
    await userEvent.click(screen.getByRole("button", { name: "Verify and sign in" }));
    expect(await screen.findByTestId("login-code-error")).toHaveTextContent("That code is wrong");
    expect((await bodies(LOGIN))[1]).toEqual({ email: "kim@example.com", password: "correct horse battery", cookie: true, totp: "123456" });

    getCredential.mockResolvedValueOnce(ASSERTION);
    await userEvent.click(screen.getByRole("button", { name: "Use your security key instead" }));
    await waitFor(() => expect(onLoggedIn).toHaveBeenCalledTimes(1));
    expect((await bodies(LOGIN))[2]).toMatchObject({ webauthn: { challenge_id: "challenge-2" } });
  });

  it("shows the app's code form to a user without keys, with no way to a key", async () => {
    fetchMock.mockImplementation(async (input) =>
      new URL((input as Request).url).pathname === CHALLENGE
        ? refusal("no_security_key", "you have no security key; use your authenticator app's code", 409)
        : REQUIRED(),
    );
    renderLogin();
    await signIn();
    expect(await screen.findByLabelText("Authentication code")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Use your security key instead" })).toBeNull();
    expect(getCredential).not.toHaveBeenCalled();
  });

  it("starts over when the password stops working before a retry", async () => {
    let challenges = 0;
    fetchMock.mockImplementation(async (input) => {
      const path = new URL((input as Request).url).pathname;
      if (path !== CHALLENGE) return REQUIRED();
      return ++challenges === 1 ? json(ceremony(1)) : refusal("unauthorized", "wrong email or password");
    });
    getCredential.mockRejectedValue(new DOMException("cancelled", "NotAllowedError"));
    renderLogin();
    await signIn();
    await userEvent.click(await screen.findByRole("button", { name: "Try your security key again" }));
    expect(await screen.findByTestId("login-error")).toHaveTextContent("wrong email or password");
    expect(screen.getByLabelText("Password")).toHaveValue("");
  });

  it("says why a browser without WebAuthn cannot use the key, and still offers the code", async () => {
    vi.stubGlobal("PublicKeyCredential", undefined);
    serve(REQUIRED);
    renderLogin();
    await signIn();
    expect(await screen.findByTestId("login-security-key-unavailable")).toHaveTextContent(/security keys/i);
    expect(screen.getByRole("button", { name: "Use your security key" })).toBeDisabled();
    expect(getCredential).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole("button", { name: "Use a code from your authenticator app instead" }));
    expect(screen.getByLabelText("Authentication code")).toBeInTheDocument();
  });
});
