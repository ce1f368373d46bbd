import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage } from "@/test/render-page";
import type { CreatedEnrollmentKey, EnrollmentKeyList } from "../api/enrollment-keys";
import { siteKeys } from "../api/sites";
import { EnrollmentKeysCard } from "./enrollment-keys-card";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

// Radix Select uses pointer capture and scrolling, which jsdom lacks.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

const SITE_ID = "2c1f8f47-5049-4dc7-8e5b-3f5b9f1f9b22";

const created: CreatedEnrollmentKey = {
  key: "grmm_one_time_secret",
  server_url: "https://rmm.example.com",
  info: {
    id: "k-new",
    site_id: SITE_ID,
    label: "Front desk PC",
    state: "active",
    created_at: new Date().toISOString(),
    created_by_email: "tech@example.com",
    expires_at: new Date(Date.now() + 24 * 3_600_000 - 60_000).toISOString(),
    max_uses: 1,
    uses: 0,
    last_used_at: null,
    revoked_at: null,
  },
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** Answers the create call with `created` (or `createAnswer`) and the list with what exists by then. */
function serve(createAnswer: () => Response = () => json(created, 201)) {
  let list: EnrollmentKeyList = { items: [] };
  fetchMock.mockImplementation(async (input) => {
    const request = input as Request;
    if (request.method === "POST") {
      const answer = createAnswer();
      if (answer.ok) list = { items: [created.info] };
      return answer;
    }
    return json(list);
  });
}

async function requestBody(call: number): Promise<unknown> {
  const request = fetchMock.mock.calls[call]?.[0] as Request;
  return JSON.parse(await request.clone().text());
}

function renderCard() {
  return renderPage(<EnrollmentKeysCard siteId={SITE_ID} />, { role: "admin", seed: [[siteKeys.enrollmentKeys(SITE_ID), { items: [] }]] });
}

async function openDialog(): Promise<HTMLElement> {
  await userEvent.click(await screen.findByRole("button", { name: "New key" }));
  return screen.findByRole("dialog");
}

async function choose(dialog: HTMLElement, field: string, option: string) {
  await userEvent.click(within(dialog).getByLabelText(field));
  await userEvent.click(await screen.findByRole("option", { name: option }));
}

describe("NewEnrollmentKeyDialog", () => {
  // In braces: a function returned from beforeEach is run as a cleanup, and mockReset returns the mock.
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("creates a labelled one-time key and shows it and its install command once", async () => {
    serve();
    renderCard();
    let dialog = await openDialog();
    await userEvent.type(within(dialog).getByLabelText("Label"), "  Front desk PC ");
    await choose(dialog, "Expires", "In 24 hours");
    await choose(dialog, "Uses", "One-time (1 agent)");
    expect(within(dialog).getByTestId("new-enrollment-key-summary")).toHaveTextContent(
      "Enrolls a single agent and expires 24 hours after it is created.",
    );
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));

    expect(await within(dialog).findByTestId("enrollment-key-value")).toHaveTextContent("grmm_one_time_secret");
    expect(within(dialog).getByTestId("install-command")).toHaveTextContent(
      `f=$(mktemp) && echo 'grmm_one_time_secret' > "$f" && sudo gururmm-agent install --server https://rmm.example.com --enroll-key-file "$f"; rm -f "$f"`,
    );
    expect(within(dialog).getByTestId("shown-once-note")).toHaveTextContent("it is shown only this once");
    expect(within(dialog).getByRole("button", { name: "Copy key" })).toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Copy command" })).toBeInTheDocument();
    expect(within(dialog).getByTestId("enrollment-key-limits")).toHaveTextContent(
      "One-time key: it enrolls a single agent, expires in 24 hours.",
    );
    expect(dialog).toHaveTextContent("Key “Front desk PC” created");

    const post = fetchMock.mock.calls.map((call) => call[0] as Request).find((request) => request.method === "POST");
    expect(new URL(post!.url).pathname).toBe(`/api/v1/sites/${SITE_ID}/enrollment-keys`);
    expect(await requestBody(fetchMock.mock.calls.findIndex((call) => (call[0] as Request).method === "POST"))).toEqual({
      label: "Front desk PC",
      expires_in_hours: 24,
      max_uses: 1,
    });

    // The new key is in the list behind the dialog, without its secret.
    const listRow = await screen.findByTestId("enrollment-key-row");
    expect(listRow).toHaveTextContent("0 of 1 (one-time)");
    expect(listRow).not.toHaveTextContent("grmm_one_time_secret");

    await userEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.queryByText(/grmm_one_time_secret/)).toBeNull();

    // Opening the dialog again starts a new key; the old one is gone for good.
    dialog = await openDialog();
    expect(within(dialog).getByRole("button", { name: "Create key" })).toBeInTheDocument();
    expect(screen.queryByText(/grmm_one_time_secret/)).toBeNull();
  });

  it("sends an empty body for a reusable key that never expires", async () => {
    serve();
    renderCard();
    const dialog = await openDialog();
    expect(within(dialog).getByTestId("new-enrollment-key-summary")).toHaveTextContent("Enrolls any number of agents and never expires.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    await within(dialog).findByTestId("enrollment-key-value");
    expect(await requestBody(fetchMock.mock.calls.findIndex((call) => (call[0] as Request).method === "POST"))).toEqual({});
  });

  it("checks custom hours and uses against the server's limits before sending", async () => {
    serve();
    renderCard();
    const dialog = await openDialog();
    await choose(dialog, "Expires", "Custom (hours)");
    await choose(dialog, "Uses", "Custom number");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(within(dialog).getByTestId("enrollment-key-customHours-error")).toHaveTextContent("Enter after how many hours the key expires.");
    expect(within(dialog).getByTestId("enrollment-key-customUses-error")).toHaveTextContent("Enter how many agents the key may enroll.");

    await userEvent.type(within(dialog).getByLabelText("Hours until the key expires"), "9000");
    await userEvent.type(within(dialog).getByLabelText("How many agents the key may enroll"), "0");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(within(dialog).getByTestId("enrollment-key-customHours-error")).toHaveTextContent(
      "Enter a whole number of hours from 1 to 8,784 (366 days).",
    );
    expect(within(dialog).getByTestId("enrollment-key-customUses-error")).toHaveTextContent(
      "Enter a whole number of agents from 1 to 100,000.",
    );
    expect(within(dialog).getByLabelText("Hours until the key expires")).toHaveAttribute("aria-invalid", "true");
    expect(fetchMock.mock.calls.some((call) => (call[0] as Request).method === "POST")).toBe(false);

    // Fixing a field clears its message; a valid form is sent.
    await userEvent.clear(within(dialog).getByLabelText("Hours until the key expires"));
    await userEvent.type(within(dialog).getByLabelText("Hours until the key expires"), "8784");
    expect(within(dialog).queryByTestId("enrollment-key-customHours-error")).toBeNull();
    await userEvent.clear(within(dialog).getByLabelText("How many agents the key may enroll"));
    await userEvent.type(within(dialog).getByLabelText("How many agents the key may enroll"), "100000");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    await within(dialog).findByTestId("enrollment-key-value");
    expect(await requestBody(fetchMock.mock.calls.findIndex((call) => (call[0] as Request).method === "POST"))).toEqual({
      expires_in_hours: 8784,
      max_uses: 100_000,
    });
  });

  it("refuses a label the server would refuse", async () => {
    serve();
    renderCard();
    const dialog = await openDialog();
    await userEvent.click(within(dialog).getByLabelText("Label"));
    await userEvent.paste("x".repeat(201));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(within(dialog).getByTestId("enrollment-key-label-error")).toHaveTextContent("A label has at most 200 characters.");
    expect(fetchMock.mock.calls.some((call) => (call[0] as Request).method === "POST")).toBe(false);
  });

  it("shows the server's refusal inside the dialog and keeps the form", async () => {
    serve(() => json({ error: { code: "forbidden", message: "readonly users cannot change anything" } }, 403));
    renderCard();
    const dialog = await openDialog();
    await userEvent.type(within(dialog).getByLabelText("Label"), "Rollout");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("readonly users cannot change anything");
    expect(within(dialog).getByLabelText("Label")).toHaveValue("Rollout");
    expect(within(dialog).queryByTestId("enrollment-key-value")).toBeNull();
  });
});

describe("the Windows installer of a new key", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  const LINK_URL = "https://rmm.example.com/api/v1/installers/gri_0123";

  /** Keys are created as usual; installer links are answered with `linkAnswer`. */
  function serveWithInstaller(linkAnswer: () => Response) {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST" && request.url.endsWith("/installer-links")) return linkAnswer();
      if (request.method === "POST") return json(created, 201);
      return json({ items: [] });
    });
  }

  async function createKeyAndAskForTheInstaller(): Promise<HTMLElement> {
    renderCard();
    const dialog = await openDialog();
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    const installer = await within(dialog).findByTestId("windows-installer");
    expect(installer).toHaveTextContent("Windows installer (MSI)");
    await userEvent.click(within(installer).getByRole("button", { name: "Create download link" }));
    return installer;
  }

  it("makes a link for the key just created and shows it with its expiry and a download", async () => {
    serveWithInstaller(() =>
      json({ kind: "windows_msi", url: LINK_URL, command: null, expires_at: new Date(Date.now() + 3_600_000).toISOString() }, 201),
    );
    const installer = await createKeyAndAskForTheInstaller();

    expect(await within(installer).findByTestId("installer-link")).toHaveTextContent(LINK_URL);
    expect(within(installer).getByRole("button", { name: "Copy link" })).toBeInTheDocument();
    expect(within(installer).getByTestId("installer-link-expiry")).toHaveTextContent("expires in 1 hour");
    expect(within(installer).getByRole("link", { name: "Download the MSI" })).toHaveAttribute("href", LINK_URL);
    expect(within(installer).queryByRole("button", { name: "Create download link" })).not.toBeInTheDocument();

    const index = fetchMock.mock.calls.findIndex((call) => (call[0] as Request).url.endsWith("/installer-links"));
    expect(new URL((fetchMock.mock.calls[index]![0] as Request).url).pathname).toBe(`/api/v1/sites/${SITE_ID}/installer-links`);
    expect(await requestBody(index)).toEqual({ enrollment_key: "grmm_one_time_secret", kind: "windows_msi" });
  });

  it("shows the server's answer plainly when it has no installer, and may ask again", async () => {
    const message =
      "this server has no Windows installer: GURURMM_RELEASES_DIR (releases_dir) is not set; build it with `cargo xtask dist windows` and put gururmm-agent-windows-x86_64.msi in GURURMM_RELEASES_DIR";
    serveWithInstaller(() => json({ error: { code: "installer_unavailable", message } }, 409));
    const installer = await createKeyAndAskForTheInstaller();

    expect(await within(installer).findByRole("alert")).toHaveTextContent(message);
    expect(within(installer).queryByTestId("installer-link")).not.toBeInTheDocument();
    expect(within(installer).getByRole("button", { name: "Create download link" })).toBeEnabled();
  });
});

describe("the one-line Linux install of a new key", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  const SCRIPT_URL = "https://rmm.example.com/install.sh?token=gri_0123";
  const COMMAND = `curl -fsSL '${SCRIPT_URL}' | sudo sh`;

  function serveWithScript(linkAnswer: () => Response) {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST" && request.url.endsWith("/installer-links")) return linkAnswer();
      if (request.method === "POST") return json(created, 201);
      return json({ items: [] });
    });
  }

  async function createKeyAndAskForTheCommand(): Promise<HTMLElement> {
    renderCard();
    const dialog = await openDialog();
    await userEvent.click(within(dialog).getByRole("button", { name: "Create key" }));
    const installer = await within(dialog).findByTestId("linux-installer");
    expect(installer).toHaveTextContent("Install on Linux (one line)");
    await userEvent.click(within(installer).getByRole("button", { name: "Create install command" }));
    return installer;
  }

  it("shows the command with a copy button, its expiry and the script's download", async () => {
    serveWithScript(() =>
      json({ kind: "linux_script", url: SCRIPT_URL, command: COMMAND, expires_at: new Date(Date.now() + 3_600_000).toISOString() }, 201),
    );
    const installer = await createKeyAndAskForTheCommand();

    expect(await within(installer).findByTestId("linux-install-command")).toHaveTextContent(COMMAND);
    expect(within(installer).getByRole("button", { name: "Copy install command" })).toBeInTheDocument();
    expect(within(installer).getByTestId("linux-install-expiry")).toHaveTextContent("expires in 1 hour");
    expect(within(installer).getByRole("link", { name: "Download install script" })).toHaveAttribute("href", SCRIPT_URL);

    const index = fetchMock.mock.calls.findIndex((call) => (call[0] as Request).url.endsWith("/installer-links"));
    expect(await requestBody(index)).toEqual({ enrollment_key: "grmm_one_time_secret", kind: "linux_script" });
  });

  it("shows the server's answer when it has no Linux release", async () => {
    const message = "this server cannot hand out the Linux install script: GURURMM_RELEASES_DIR (releases_dir) is not set";
    serveWithScript(() => json({ error: { code: "installer_unavailable", message } }, 409));
    const installer = await createKeyAndAskForTheCommand();

    expect(await within(installer).findByRole("alert")).toHaveTextContent(message);
    expect(within(installer).queryByTestId("linux-install-command")).not.toBeInTheDocument();
    expect(within(installer).getByRole("button", { name: "Create install command" })).toBeEnabled();
  });
});
