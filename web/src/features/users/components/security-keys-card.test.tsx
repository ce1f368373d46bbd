import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Toaster } from "sonner";
import type { User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { forgetSession, sessionChanged } from "@/lib/session";
import { renderPage, testUser } from "@/test/render-page";
import { accountKeys } from "../api/account";
import type { SecurityKey } from "../api/security-keys";
import { SecurityKeysCard } from "./security-keys-card";
import { TwoFactorCard } from "./two-factor-card";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const START = "/api/v1/auth/webauthn/register/start";
const FINISH = "/api/v1/auth/webauthn/register/finish";
const LIST = "/api/v1/auth/webauthn/credentials";

const YUBIKEY: SecurityKey = {
  id: "k-1",
  name: "YubiKey 5C",
  created_at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
  last_used_at: new Date(Date.now() - 3_600_000).toISOString(),
};
const LAPTOP: SecurityKey = { id: "k-2", name: "Work laptop", created_at: new Date(Date.now() - 60_000).toISOString(), last_used_at: null };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(status: number, message: string, code = "invalid"): Response {
  return json({ error: { code, message } }, status);
}

type Route = (request: Request) => Response | undefined;

/** The server: the routes a test names, then the user and the list of keys as `state` has them. */
function serve(route: Route, state: { keys: SecurityKey[]; app?: boolean } = { keys: [] }) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    const path = new URL(request.url).pathname;
    const answered = route(request);
    if (answered) return answered;
    if (path === "/api/v1/auth/me") return json(me(state.keys.length > 0 || (state.app ?? false)));
    if (path === LIST) return json({ items: state.keys, authenticator_app: state.app ?? false });
    return json({ items: [] });
  });
}

function me(secondFactor: boolean): User {
  return { ...testUser("technician"), second_factor: secondFactor };
}

function calls(path: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => new URL(request.url).pathname === path);
}

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

const CREATION = {
  challenge_id: "reg-1",
  options: {
    publicKey: {
      rp: { name: "GuruRMM", id: "localhost" },
      user: { id: "AQID", name: "tech@example.com", displayName: "tech@example.com" },
      challenge: "BAUG",
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      excludeCredentials: [{ type: "public-key", id: "qrvM" }],
      authenticatorSelection: { userVerification: "required", residentKey: "discouraged", requireResidentKey: false },
      attestation: "none",
    },
  },
};

/** What the browser answers when a key is made. */
const CREATED = {
  id: "3q2-7w",
  rawId: bytes(0xde, 0xad, 0xbe, 0xef),
  type: "public-key",
  response: { attestationObject: bytes(0xa3), clientDataJSON: bytes(0x7b), getTransports: () => ["usb"] },
  getClientExtensionResults: () => ({ credProps: { rk: false } }),
};

const createCredential = vi.fn<(options: CredentialCreationOptions) => Promise<unknown>>();

function renderCards(keys: SecurityKey[] = [], app = false) {
  return renderPage(
    <>
      <TwoFactorCard />
      <SecurityKeysCard />
      <Toaster />
    </>,
    {
      seed: [
        [currentUserQueryKey, me(keys.length > 0 || app)],
        [accountKeys.securityKeys, { items: keys, authenticator_app: app }],
      ],
    },
  );
}

describe("SecurityKeysCard", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    createCredential.mockReset();
    serve(() => undefined);
    vi.stubGlobal("PublicKeyCredential", function PublicKeyCredential() {});
    Object.defineProperty(navigator, "credentials", { value: { create: createCredential }, configurable: true });
    // Signed in, so the current user is read again when it changes (the query waits for a session).
    document.cookie = "gururmm_csrf=test-csrf; Path=/";
    sessionChanged();
  });

  afterEach(() => {
    forgetSession();
    vi.unstubAllGlobals();
  });

  it("lists the keys with when each was added and last used", async () => {
    renderCards([YUBIKEY, LAPTOP]);
    const rows = await screen.findAllByTestId("security-key");
    expect(rows.map((row) => within(row).getByTestId("security-key-name").textContent)).toEqual(["YubiKey 5C", "Work laptop"]);
    expect(rows[0]).toHaveTextContent(/Added 3 days ago · last used 1 hour ago/);
    expect(rows[1]).toHaveTextContent(/Added 1 minute ago · not used yet/);
    expect(screen.getByTestId("security-keys-card")).toHaveTextContent("Adding or removing one signs you out everywhere else.");
  });

  it("says when there is no key yet", async () => {
    renderCards();
    expect(await screen.findByTestId("security-keys-empty")).toHaveTextContent("No security key yet.");
  });

  it("adds a key: the name, the browser's prompt, then the server checks the answer", async () => {
    const state = { keys: [] as SecurityKey[] };
    serve((request) => {
      const path = new URL(request.url).pathname;
      if (path === START) return json(CREATION);
      if (path === FINISH) {
        const added = { id: "k-3", name: "Desk key", created_at: new Date().toISOString(), last_used_at: null };
        state.keys = [added];
        return json(added, 201);
      }
      return undefined;
    }, state);
    createCredential.mockResolvedValue(CREATED);
    renderCards();

    await userEvent.click(await screen.findByRole("button", { name: "Add a security key" }));
    const dialog = await screen.findByTestId("security-key-add-dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add the key" }));
    expect(within(dialog).getByTestId("security-key-name-error")).toHaveTextContent("Give the key a name");
    expect(calls(START)).toHaveLength(0);

    await userEvent.type(within(dialog).getByLabelText("Name of the key"), "  Desk key ");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add the key" }));
    expect(await screen.findByText("Security key “Desk key” added. Your other sessions were signed out.")).toBeInTheDocument();
    expect(await calls(START)[0]!.clone().json()).toEqual({ name: "Desk key" });

    // The browser got the options with the binary fields as bytes.
    const publicKey = createCredential.mock.calls[0]?.[0].publicKey;
    expect(Array.from(new Uint8Array(publicKey?.challenge as ArrayBuffer))).toEqual([4, 5, 6]);
    expect(Array.from(new Uint8Array(publicKey?.user.id as ArrayBuffer))).toEqual([1, 2, 3]);
    expect(Array.from(new Uint8Array(publicKey?.excludeCredentials?.[0]?.id as ArrayBuffer))).toEqual([0xaa, 0xbb, 0xcc]);
    // And the server got the answer in base64url.
    expect(await calls(FINISH)[0]!.clone().json()).toEqual({
      challenge_id: "reg-1",
      credential: {
        id: "3q2-7w",
        rawId: "3q2-7w",
        type: "public-key",
        response: { attestationObject: "ow", clientDataJSON: "ew", transports: ["usb"] },
        extensions: { credProps: { rk: false } },
      },
    });
    // The list, the user (now with a second factor) and the sessions are read again.
    expect(await screen.findByTestId("security-key")).toHaveTextContent("Desk key");
    await waitFor(() => expect(within(screen.getByTestId("two-factor-card")).getByTestId("two-factor-status")).toHaveTextContent("On"));
    expect(screen.queryByTestId("security-key-add-dialog")).toBeNull();
  });

  it("says so when the person cancels the browser's prompt, and adds nothing", async () => {
    serve((request) => (new URL(request.url).pathname === START ? json(CREATION) : undefined));
    createCredential.mockRejectedValue(new DOMException("The operation either timed out or was not allowed.", "NotAllowedError"));
    renderCards();
    await userEvent.click(await screen.findByRole("button", { name: "Add a security key" }));
    const dialog = await screen.findByTestId("security-key-add-dialog");
    await userEvent.type(within(dialog).getByLabelText("Name of the key"), "Desk key");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add the key" }));
    expect(await within(dialog).findByTestId("security-key-add-failure")).toHaveTextContent(
      "No key was added: the request was cancelled, timed out, or the browser or key refused it.",
    );
    expect(calls(FINISH)).toHaveLength(0);
    expect(within(dialog).getByRole("button", { name: "Try again" })).toBeEnabled();
  });

  it("says a key is registered already, and shows the server's refusal of a name on its field", async () => {
    serve((request) =>
      new URL(request.url).pathname === START ? refusal(422, "name: give the key a name of 1 to 60 characters") : undefined,
    );
    renderCards();
    await userEvent.click(await screen.findByRole("button", { name: "Add a security key" }));
    const dialog = await screen.findByTestId("security-key-add-dialog");
    await userEvent.type(within(dialog).getByLabelText("Name of the key"), "Desk key");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add the key" }));
    expect(await within(dialog).findByTestId("security-key-name-error")).toHaveTextContent("Give the key a name of 1 to 60 characters");

    serve((request) => (new URL(request.url).pathname === START ? json(CREATION) : undefined));
    createCredential.mockRejectedValue(new DOMException("excluded", "InvalidStateError"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Add the key" }));
    expect(await within(dialog).findByTestId("security-key-add-failure")).toHaveTextContent(
      "This key is registered for your account already.",
    );
  });

  it("removes a key with the password, showing a wrong one on its field", async () => {
    const state = { keys: [YUBIKEY, LAPTOP] };
    let refuse = true;
    serve((request) => {
      if (request.method !== "DELETE") return undefined;
      if (refuse) return refusal(422, "password: this is not your password");
      state.keys = [LAPTOP];
      return new Response(null, { status: 204 });
    }, state);
    renderCards(state.keys);
    await userEvent.click(await screen.findByRole("button", { name: "Remove YubiKey 5C" }));
    const dialog = await screen.findByTestId("security-key-remove-dialog");
    expect(dialog).toHaveTextContent("your other sessions are signed out");
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove the key" }));
    expect(within(dialog).getByTestId("security-key-password-error")).toHaveTextContent("Enter your password.");

    await userEvent.type(within(dialog).getByLabelText("Your password"), "not my password");
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove the key" }));
    expect(await within(dialog).findByTestId("security-key-password-error")).toHaveTextContent("This is not your password");

    refuse = false;
    await userEvent.clear(within(dialog).getByLabelText("Your password"));
    await userEvent.type(within(dialog).getByLabelText("Your password"), "my real password");
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove the key" }));
    expect(await screen.findByText("Security key “YubiKey 5C” removed. Your other sessions were signed out.")).toBeInTheDocument();
    const removal = calls(`${LIST}/k-1`).filter((request) => request.method === "DELETE");
    expect(await removal[1]!.clone().json()).toEqual({ password: "my real password" });
    await waitFor(() => expect(screen.getAllByTestId("security-key")).toHaveLength(1));
  });

  it("says why the page cannot add a key instead of offering it", async () => {
    vi.stubGlobal("PublicKeyCredential", undefined);
    renderCards([YUBIKEY]);
    expect(await screen.findByTestId("security-keys-unavailable")).toHaveTextContent(/security keys/i);
    expect(screen.queryByRole("button", { name: "Add a security key" })).toBeNull();
    // The keys can still be removed.
    expect(screen.getByRole("button", { name: "Remove YubiKey 5C" })).toBeInTheDocument();
  });
});

describe("TwoFactorCard beside security keys", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    serve(() => undefined);
  });

  it("is on with a key alone, and offers the app besides rather than turning it off", async () => {
    renderCards([YUBIKEY], false);
    const card = await screen.findByTestId("two-factor-card");
    expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("On");
    expect(within(card).getByRole("button", { name: "Set up an authenticator app" })).toBeInTheDocument();
    expect(within(card).queryByRole("button", { name: "Turn off…" })).toBeNull();
  });

  it("offers to turn the app off when it is set up beside keys", async () => {
    renderCards([YUBIKEY], true);
    const card = await screen.findByTestId("two-factor-card");
    expect(within(card).getByTestId("two-factor-app-on")).toHaveTextContent("Your authenticator app is set up.");
    expect(within(card).getByTestId("two-factor-app-on")).toHaveTextContent("recovery codes or a security key");
    // The keys keep guarding sign-in: the button says only the app goes.
    expect(within(card).queryByRole("button", { name: "Turn off…" })).toBeNull();
    expect(within(card).getByRole("button", { name: "Remove the app…" })).toBeInTheDocument();
  });
});
