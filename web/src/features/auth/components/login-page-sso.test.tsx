import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { leavePage } from "@/lib/leave-page";
import { renderPage } from "@/test/render-page";
import { readRememberedProvider, rememberProvider } from "../remembered-provider";
import { LoginPage } from "./login-page";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

vi.mock("@/lib/leave-page", () => ({ leavePage: vi.fn() }));

const ACME = { id: "0b9c8f4e-5a55-4c3e-9d0e-8b7a6c5d4e3f", name: "Acme Entra" };
const AUTHORIZE = "https://login.acme.test/authorize?client_id=rmm&state=s1";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(code: string, message: string, status: number): Response {
  return json({ error: { code, message } }, status);
}

/** The server: the providers it knows (by id), how a start is answered, and the password sign-in's answer. */
function answer({
  known = [ACME],
  start = () => json({ authorization_url: AUTHORIZE }),
  login = () => refusal("unauthorized", "wrong email or password", 401),
}: {
  known?: { id: string; name: string }[];
  start?: () => Response;
  login?: () => Response;
} = {}) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    const path = new URL(request.url).pathname;
    const button = /^\/api\/v1\/auth\/sso\/providers\/(.+)$/.exec(path);
    if (button) {
      const found = known.find((provider) => provider.id === button[1]);
      return found ? json(found) : refusal("not_found", "sign-in provider not found", 404);
    }
    if (path === "/api/v1/auth/sso/start") return start();
    if (path === "/api/v1/auth/login") return login();
    return refusal("not_found", "not found", 404);
  });
}

function requests(path: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => new URL(request.url).pathname === path);
}

describe("LoginPage with single sign-on", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    vi.mocked(leavePage).mockReset();
  });
  afterEach(() => localStorage.clear());

  it("offers the provider a sign-in link names, above the password form, and goes there with the page to come back to", async () => {
    answer();
    renderPage(<LoginPage onLoggedIn={vi.fn()} ssoProviderId={ACME.id} returnTo="/agents?page=2" />);
    const button = await screen.findByRole("button", { name: "Sign in with Acme Entra" });
    expect(button.compareDocumentPosition(screen.getByLabelText("Email")) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(screen.getByText("or")).toBeInTheDocument();

    await userEvent.click(button);
    await waitFor(() => expect(leavePage).toHaveBeenCalledWith(AUTHORIZE));
    expect(await requests("/api/v1/auth/sso/start")[0]?.json()).toEqual({ provider_id: ACME.id, return_to: "/agents?page=2" });
    expect(screen.getByRole("button", { name: "Going to Acme Entra…" })).toBeDisabled();
    expect(readRememberedProvider()).toEqual(ACME);
  });

  it("offers the provider this browser signed in through before, without the link", async () => {
    rememberProvider(ACME);
    answer();
    renderPage(<LoginPage onLoggedIn={vi.fn()} />);
    await userEvent.click(await screen.findByRole("button", { name: "Sign in with Acme Entra" }));
    await waitFor(() => expect(leavePage).toHaveBeenCalledWith(AUTHORIZE));
    expect(await requests("/api/v1/auth/sso/start")[0]?.json()).toEqual({ provider_id: ACME.id });
  });

  it("offers no provider to a browser that never used one", async () => {
    answer();
    renderPage(<LoginPage onLoggedIn={vi.fn()} />);
    await screen.findByLabelText("Email");
    expect(screen.queryByTestId("sso-sign-in")).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("forgets a remembered provider that is gone, quietly", async () => {
    rememberProvider(ACME);
    answer({ known: [] });
    renderPage(<LoginPage onLoggedIn={vi.fn()} />);
    await waitFor(() => expect(readRememberedProvider()).toBeNull());
    expect(screen.queryByTestId("sso-sign-in")).toBeNull();
    expect(screen.queryByTestId("login-sso-gone")).toBeNull();
  });

  it("says a link naming a provider that is gone or disabled no longer works", async () => {
    answer({ known: [] });
    renderPage(<LoginPage onLoggedIn={vi.fn()} ssoProviderId={ACME.id} />);
    expect(await screen.findByTestId("login-sso-gone")).toHaveTextContent("This sign-in link no longer works");
    expect(screen.queryByTestId("sso-sign-in")).toBeNull();
    expect(screen.getByLabelText("Password")).toBeInTheDocument();
  });

  it("shows why the provider could not be reached, and lets the person try again", async () => {
    const unreachable = "the identity provider Acme Entra could not be reached or described itself wrongly: connection refused";
    answer({ start: () => refusal("upstream_failed", unreachable, 502) });
    renderPage(<LoginPage onLoggedIn={vi.fn()} ssoProviderId={ACME.id} />);
    await userEvent.click(await screen.findByRole("button", { name: "Sign in with Acme Entra" }));
    expect(await screen.findByTestId("login-sso-failure")).toHaveTextContent(unreachable);
    expect(screen.getByRole("button", { name: "Sign in with Acme Entra" })).toBeEnabled();
    expect(leavePage).not.toHaveBeenCalled();
    expect(readRememberedProvider()).toBeNull();
  });

  it("shows the server's refusal of a sign-in through the provider above the form", async () => {
    answer();
    renderPage(
      <LoginPage onLoggedIn={vi.fn()} ssoError="your account may not sign in here through this provider; ask your administrator" />,
    );
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Single sign-on did not sign you in: your account may not sign in here through this provider; ask your administrator",
    );
  });

  it("says the organization signs in through single sign-on when the password is refused for that, pointing at the button", async () => {
    rememberProvider(ACME);
    const required = "your organization signs in through single sign-on; use its sign-in link";
    answer({ login: () => refusal("sso_required", required, 401) });
    const onLoggedIn = vi.fn();
    renderPage(<LoginPage onLoggedIn={onLoggedIn} />);
    await screen.findByRole("button", { name: "Sign in with Acme Entra" });
    await userEvent.type(screen.getByLabelText("Email"), "tess@acme.test");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("login-sso-required")).toHaveTextContent(
      "Your organization signs in through single sign-on, not with a password. Use “Sign in with Acme Entra” above.",
    );
    expect(screen.queryByTestId("login-error")).toBeNull();
    expect(onLoggedIn).not.toHaveBeenCalled();
  });

  it("asks for the organization's sign-in link when no provider is known", async () => {
    answer({ login: () => refusal("sso_required", "your organization signs in through single sign-on; use its sign-in link", 401) });
    renderPage(<LoginPage onLoggedIn={vi.fn()} />);
    await userEvent.type(await screen.findByLabelText("Email"), "tess@acme.test");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("login-sso-required")).toHaveTextContent(
      "Open the sign-in link your administrator gave you, or ask them for it.",
    );
  });
});
