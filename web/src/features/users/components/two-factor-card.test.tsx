import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Toaster } from "sonner";
import type { User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { forgetSession, sessionChanged } from "@/lib/session";
import { renderPage, testUser } from "@/test/render-page";
import { accountKeys } from "../api/account";
import { qrPath } from "./qr-code";
import { sixDigitCode, TwoFactorCard } from "./two-factor-card";

const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const OTPAUTH = `otpauth://totp/GuruRMM:tech%40example.com?secret=${SECRET}&issuer=GuruRMM`;
const CODES = Array.from({ length: 10 }, (_, index) => `a1b2c-d3e4f-0a1b2-c3d4${index}`);

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(status: number, message: string, code = "invalid"): Response {
  return json({ error: { code, message } }, status);
}

type Route = (request: Request) => Response | undefined;

/**
 * Answers the routes a test names; the current user (read again after a change) has `me`'s second
 * factor, which is an authenticator app: the list of security keys is empty and says so.
 */
function serve(route: Route, me: () => User = () => testUser("technician")) {
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    const path = new URL(request.url).pathname;
    if (path === "/api/v1/auth/me") return json(me());
    return (
      route(request) ??
      (path === "/api/v1/auth/webauthn/credentials" ? json({ items: [], authenticator_app: me().second_factor }) : json({ items: [] }))
    );
  });
}

function pathOf(request: Request): string {
  return new URL(request.url).pathname;
}

function calls(path: string): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => pathOf(request) === path);
}

function renderCard(secondFactor = false) {
  return renderPage(
    <>
      <TwoFactorCard />
      <Toaster />
    </>,
    {
      seed: [
        [currentUserQueryKey, { ...testUser("technician"), second_factor: secondFactor }],
        [accountKeys.securityKeys, { items: [], authenticator_app: secondFactor }],
      ],
    },
  );
}

async function startSetup() {
  const card = await screen.findByTestId("two-factor-card");
  expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("Off");
  await userEvent.click(within(card).getByRole("button", { name: "Set up two-factor authentication" }));
  await within(card).findByTestId("totp-qr");
  return card;
}

describe("TwoFactorCard", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    serve(() => undefined);
    // Signed in, so the current user is read again when it changes (the query waits for a session).
    document.cookie = "gururmm_csrf=test-csrf; Path=/";
    sessionChanged();
  });

  afterEach(() => forgetSession());

  it("sets up a second factor: QR code and key, the app's code, then the recovery codes once", async () => {
    let on = false;
    serve(
      (request) => {
        if (pathOf(request) === "/api/v1/auth/totp/setup") return json({ secret: SECRET, otpauth_url: OTPAUTH });
        if (pathOf(request) === "/api/v1/auth/totp/confirm") {
          on = true;
          return json({ recovery_codes: CODES });
        }
        return undefined;
      },
      () => ({ ...testUser("technician"), second_factor: on }),
    );
    renderCard();
    const card = await startSetup();
    const qr = within(card).getByRole("img", { name: "QR code for your authenticator app" });
    expect(qr.querySelector("path")).toHaveAttribute("d", qrPath(OTPAUTH).path);
    expect(within(card).getByTestId("totp-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    expect(within(card).getByRole("button", { name: "Copy key" })).toBeInTheDocument();
    const code = within(card).getByLabelText("2. Enter the 6-digit code the app shows");
    expect(code).toHaveAttribute("autocomplete", "one-time-code");
    expect(code).toHaveAttribute("inputmode", "numeric");

    await userEvent.type(code, "123 456");
    await userEvent.click(within(card).getByRole("button", { name: "Turn on" }));
    const codes = await within(card).findAllByTestId("recovery-code");
    expect(codes.map((item) => item.textContent)).toEqual(CODES);
    expect(await calls("/api/v1/auth/totp/confirm")[0]!.clone().json()).toEqual({ code: "123456" });
    expect(within(card).getByTestId("recovery-codes-note")).toHaveTextContent(
      "Save these recovery codes now: they are shown only this once.",
    );
    expect(within(card).getByRole("button", { name: "Copy codes" })).toBeInTheDocument();
    expect(within(card).getByRole("button", { name: "Download as text" })).toBeInTheDocument();
    expect(await screen.findByText("Two-factor authentication is on. Your other sessions were signed out.")).toBeInTheDocument();

    // The current user was read again: once the codes are put away, the card says it is on.
    await waitFor(() => expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("On"));
    expect(within(card).getByTestId("recovery-codes")).toBeInTheDocument();
    await userEvent.click(within(card).getByRole("button", { name: "I have saved them" }));
    expect(within(card).queryByTestId("recovery-codes")).toBeNull();
    expect(within(card).getByRole("button", { name: "Turn off…" })).toBeInTheDocument();
  });

  it("downloads the recovery codes as a text file", async () => {
    serve((request) => {
      if (pathOf(request) === "/api/v1/auth/totp/setup") return json({ secret: SECRET, otpauth_url: OTPAUTH });
      if (pathOf(request) === "/api/v1/auth/totp/confirm") return json({ recovery_codes: CODES });
      return undefined;
    });
    const saved: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      saved.push(blob);
      return "blob:codes";
    });
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    try {
      renderCard();
      const card = await startSetup();
      await userEvent.type(within(card).getByTestId("totp-code"), "123456");
      await userEvent.click(within(card).getByRole("button", { name: "Turn on" }));
      await userEvent.click(await within(card).findByRole("button", { name: "Download as text" }));
      expect(click).toHaveBeenCalledTimes(1);
      const link = click.mock.contexts[0] as HTMLAnchorElement;
      expect(link.download).toBe("gururmm-recovery-codes.txt");
      const text = await saved[0]!.text();
      expect(text).toContain("GuruRMM recovery codes for tech@example.com");
      for (const code of CODES) expect(text).toContain(code);
    } finally {
      click.mockRestore();
      vi.unstubAllGlobals();
    }
  });

  it("asks for six digits before sending a code", async () => {
    serve((request) => (pathOf(request) === "/api/v1/auth/totp/setup" ? json({ secret: SECRET, otpauth_url: OTPAUTH }) : undefined));
    renderCard();
    const card = await startSetup();
    await userEvent.type(within(card).getByTestId("totp-code"), "12345");
    await userEvent.click(within(card).getByRole("button", { name: "Turn on" }));
    expect(within(card).getByTestId("totp-code-error")).toHaveTextContent("Enter the 6-digit code your app shows.");
    expect(calls("/api/v1/auth/totp/confirm")).toHaveLength(0);
  });

  it("shows a wrong code on its field and keeps the setup", async () => {
    serve((request) => {
      if (pathOf(request) === "/api/v1/auth/totp/setup") return json({ secret: SECRET, otpauth_url: OTPAUTH });
      if (pathOf(request) === "/api/v1/auth/totp/confirm") return refusal(422, "code: this is not the current code of the app");
      return undefined;
    });
    renderCard();
    const card = await startSetup();
    await userEvent.type(within(card).getByTestId("totp-code"), "000000");
    await userEvent.click(within(card).getByRole("button", { name: "Turn on" }));
    expect(await within(card).findByTestId("totp-code-error")).toHaveTextContent("This is not the current code of the app");
    expect(within(card).getByTestId("totp-code")).toHaveAttribute("aria-invalid", "true");
    expect(within(card).getByTestId("totp-qr")).toBeInTheDocument();
    expect(within(card).queryByTestId("recovery-codes")).toBeNull();
    expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("Off");
  });

  it("says a second factor is on already when setup answers 409, and reads the user again", async () => {
    serve(
      (request) =>
        pathOf(request) === "/api/v1/auth/totp/setup"
          ? refusal(409, "a second factor is on already; turn it off first to set up another", "conflict")
          : undefined,
      () => ({ ...testUser("technician"), second_factor: true }),
    );
    renderCard();
    const card = await screen.findByTestId("two-factor-card");
    await userEvent.click(within(card).getByRole("button", { name: "Set up two-factor authentication" }));
    expect(await screen.findByText("Two-factor authentication is on already.")).toBeInTheDocument();
    await waitFor(() => expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("On"));
    expect(within(card).queryByTestId("totp-qr")).toBeNull();
  });

  it("turns it off with the password, showing a wrong one on its field", async () => {
    let refuse = true;
    serve(
      (request) => {
        if (pathOf(request) !== "/api/v1/auth/totp/disable") return undefined;
        return refuse ? refusal(422, "password: this is not your password") : new Response(null, { status: 204 });
      },
      () => ({ ...testUser("technician"), second_factor: refuse }),
    );
    renderCard(true);
    const card = await screen.findByTestId("two-factor-card");
    expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("On");
    await userEvent.click(within(card).getByRole("button", { name: "Turn off…" }));
    await userEvent.click(within(card).getByRole("button", { name: "Turn off" }));
    expect(within(card).getByTestId("two-factor-password-error")).toHaveTextContent("Enter your password.");
    expect(calls("/api/v1/auth/totp/disable")).toHaveLength(0);

    await userEvent.type(within(card).getByLabelText("Your password"), "not my password");
    await userEvent.click(within(card).getByRole("button", { name: "Turn off" }));
    expect(await within(card).findByTestId("two-factor-password-error")).toHaveTextContent("This is not your password");
    expect(within(card).getByLabelText("Your password")).toHaveAttribute("aria-invalid", "true");

    refuse = false;
    await userEvent.clear(within(card).getByLabelText("Your password"));
    await userEvent.type(within(card).getByLabelText("Your password"), "my real password");
    await userEvent.click(within(card).getByRole("button", { name: "Turn off" }));
    expect(await screen.findByText("Two-factor authentication is off. Your other sessions were signed out.")).toBeInTheDocument();
    expect(await calls("/api/v1/auth/totp/disable")[1]!.clone().json()).toEqual({ password: "my real password" });
    await waitFor(() => expect(within(card).getByTestId("two-factor-status")).toHaveTextContent("Off"));
    expect(within(card).getByRole("button", { name: "Set up two-factor authentication" })).toBeInTheDocument();
  });

  it("shows a refusal that names no field above the buttons", async () => {
    serve((request) =>
      pathOf(request) === "/api/v1/auth/totp/disable"
        ? refusal(429, "too many attempts; try again in a minute", "rate_limited")
        : undefined,
    );
    renderCard(true);
    const card = await screen.findByTestId("two-factor-card");
    await userEvent.click(within(card).getByRole("button", { name: "Turn off…" }));
    await userEvent.type(within(card).getByLabelText("Your password"), "my password");
    await userEvent.click(within(card).getByRole("button", { name: "Turn off" }));
    expect(await within(card).findByTestId("two-factor-failure")).toHaveTextContent("too many attempts; try again in a minute");
    expect(within(card).queryByTestId("two-factor-password-error")).toBeNull();
  });
});

describe("sixDigitCode", () => {
  it("reads a code as people type it", () => {
    expect(sixDigitCode(" 123 456 ")).toBe("123456");
    expect(sixDigitCode("123-456")).toBe("123456");
    expect(sixDigitCode("12345")).toBeNull();
    expect(sixDigitCode("12345a")).toBeNull();
  });
});

describe("qrPath", () => {
  it("draws the same code for the same text, inside a quiet zone", () => {
    const { size, path } = qrPath(OTPAUTH);
    expect(qrPath(OTPAUTH).path).toBe(path);
    expect(qrPath(`${OTPAUTH}x`).path).not.toBe(path);
    // Version 5 or so for a URL this long: 37 modules and four on each side.
    expect((size - 8 - 17) % 4).toBe(0);
    // The top-left finder pattern's corner module is dark, four modules in.
    expect(path.startsWith("M4 4h1v1h-1z")).toBe(true);
  });
});
