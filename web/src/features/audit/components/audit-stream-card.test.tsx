import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Role, User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { auditStream } from "@/test/fixtures";
import { renderPage, testUser } from "@/test/render-page";
import { AUDIT_PER_PAGE, AUDIT_STREAM_POLL_MS, auditKeys } from "../api/audit";
import type { AuditStreamView, AuditVerification } from "../audit-actions";
import { auditListQuery } from "../audit-search";
import { AuditPage } from "./audit-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const INTACT: AuditVerification = { ok: true, checked: 42, problem: null, last_seq: 42, pruned_through_seq: 0 };
const URL_TEXT = "https://siem.example.com/gururmm";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function refusal(status: number, message: string): Response {
  return json({ error: { code: status === 404 ? "not_found" : "validation", message } }, status);
}

interface Sent {
  method: string;
  path: string;
  body: unknown;
}

/** Every request the page made to the stream's route, with its JSON body. */
let sent: Sent[] = [];
/** What the server answers to the stream's route, by method; the log's own routes answer empty pages. */
let answers: Partial<Record<"GET" | "PUT" | "DELETE", () => Response>> = {};

function streamRequests(method?: string): Sent[] {
  return sent.filter((request) => method === undefined || request.method === method);
}

/**
 * Renders the audit page as `role` with the log and its check already loaded; `stream` seeds the
 * stream's answer (null: none), undefined leaves it to `answers.GET`.
 */
function renderAudit({ role = "admin", stream, user }: { role?: Role; stream?: AuditStreamView | null; user?: User } = {}) {
  return renderPage(<AuditPage search={{}} onSearchChange={vi.fn()} />, {
    role,
    seed: [
      [auditKeys.events(auditListQuery({}, AUDIT_PER_PAGE)), { items: [], total: 0, page: 1, per_page: AUDIT_PER_PAGE }],
      [auditKeys.verification, INTACT],
      ...(stream === undefined ? [] : ([[auditKeys.stream, stream]] as [readonly unknown[], unknown][])),
      ...(user ? ([[currentUserQueryKey, user]] as [readonly unknown[], unknown][]) : []),
    ],
  });
}

async function card(): Promise<HTMLElement> {
  return screen.findByTestId("audit-stream");
}

describe("AuditStreamCard", () => {
  beforeEach(() => {
    sent = [];
    answers = {};
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (path !== "/api/v1/audit/stream") return json({ items: [], total: 0, page: 1, per_page: AUDIT_PER_PAGE });
      const text = await request.clone().text();
      sent.push({ method: request.method, path, body: text ? JSON.parse(text) : undefined });
      const answer = answers[request.method as "GET" | "PUT" | "DELETE"];
      if (!answer) throw new Error(`no answer for ${request.method} ${path}`);
      return answer();
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("explains streaming and offers the form when the organization streams nowhere (404)", async () => {
    answers.GET = () => refusal(404, "audit stream not found");
    renderAudit();
    const streamCard = await card();
    expect(await within(streamCard).findByTestId("audit-stream-explanation")).toHaveTextContent("at least once");
    expect(within(streamCard).getByTestId("audit-stream-explanation")).toHaveTextContent("in order");
    expect(within(streamCard).getByTestId("audit-stream-explanation")).toHaveTextContent("HMAC-SHA256");
    expect(within(streamCard).getByTestId("audit-stream-explanation")).toHaveTextContent("docs/audit.md");
    expect(within(streamCard).getByLabelText("Endpoint URL")).toHaveValue("");
    expect(within(streamCard).getByLabelText("Signing secret")).toHaveAttribute("type", "password");
    expect(within(streamCard).getByRole("switch", { name: "Enabled" })).toBeChecked();
    expect(within(streamCard).getByText(/never shown again/)).toBeInTheDocument();
    expect(within(streamCard).queryByTestId("audit-stream-status")).toBeNull();
    expect(streamRequests()).toEqual([{ method: "GET", path: "/api/v1/audit/stream", body: undefined }]);
  });

  it("generates a random secret, shows it to copy, and starts the stream with it", async () => {
    answers.PUT = () => json(auditStream({ url: URL_TEXT, delivered_through_seq: 0, pending: 42 }));
    renderAudit({ stream: null });
    const streamCard = await card();
    const secret = within(streamCard).getByLabelText("Signing secret");
    await userEvent.click(within(streamCard).getByRole("button", { name: "Show the secret" }));
    expect(secret).toHaveAttribute("type", "text");
    await userEvent.click(within(streamCard).getByRole("button", { name: "Hide the secret" }));
    expect(secret).toHaveAttribute("type", "password");

    await userEvent.click(within(streamCard).getByRole("button", { name: "Generate" }));
    const generated = (secret as HTMLInputElement).value;
    expect(generated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Shown, so it can be read and copied before it is saved and gone.
    expect(secret).toHaveAttribute("type", "text");
    expect(within(streamCard).getByRole("button", { name: "Copy" })).toBeInTheDocument();
    await userEvent.click(within(streamCard).getByRole("button", { name: "Generate" }));
    expect((secret as HTMLInputElement).value).not.toBe(generated);

    await userEvent.type(within(streamCard).getByLabelText("Endpoint URL"), ` ${URL_TEXT} `);
    await userEvent.click(within(streamCard).getByRole("button", { name: "Start streaming" }));
    expect(await within(streamCard).findByTestId("audit-stream-progress")).toHaveTextContent(
      "Nothing delivered yet; the log is at event #42",
    );
    expect(streamRequests("PUT")).toEqual([
      { method: "PUT", path: "/api/v1/audit/stream", body: { url: URL_TEXT, secret: (secret as HTMLInputElement).value, enabled: true } },
    ]);
    expect(within(streamCard).queryByTestId("audit-stream-form")).toBeNull();
  });

  it("starts a stream paused when the switch is off", async () => {
    answers.PUT = () => json(auditStream({ enabled: false }));
    renderAudit({ stream: null });
    const streamCard = await card();
    await userEvent.type(within(streamCard).getByLabelText("Endpoint URL"), URL_TEXT);
    await userEvent.type(within(streamCard).getByLabelText("Signing secret"), "a-secret-of-enough-length");
    await userEvent.click(within(streamCard).getByRole("switch", { name: "Enabled" }));
    await userEvent.click(within(streamCard).getByRole("button", { name: "Start streaming" }));
    expect(await within(streamCard).findByTestId("audit-stream-state")).toHaveTextContent("Paused");
    expect(streamRequests("PUT")[0]?.body).toEqual({ url: URL_TEXT, secret: "a-secret-of-enough-length", enabled: false });
  });

  it("shows the server's refusals under their fields", async () => {
    answers.PUT = () => refusal(422, "url: private, loopback and link-local addresses are not allowed");
    renderAudit({ stream: null });
    const streamCard = await card();
    await userEvent.type(within(streamCard).getByLabelText("Endpoint URL"), "http://10.0.0.5/hook");
    await userEvent.click(within(streamCard).getByRole("button", { name: "Start streaming" }));
    const urlError = await within(streamCard).findByTestId("audit-stream-field-error");
    expect(urlError).toHaveAttribute("data-field", "url");
    expect(urlError).toHaveTextContent("private, loopback and link-local addresses are not allowed");
    expect(within(streamCard).getByLabelText("Endpoint URL")).toHaveAttribute("aria-invalid", "true");

    answers.PUT = () => refusal(422, "secret: a new stream needs a signing secret");
    await userEvent.click(within(streamCard).getByRole("button", { name: "Start streaming" }));
    await waitFor(() => expect(within(streamCard).getByTestId("audit-stream-field-error")).toHaveAttribute("data-field", "secret"));
    expect(within(streamCard).getByTestId("audit-stream-field-error")).toHaveTextContent("a new stream needs a signing secret");
    // Typing in the field clears its error.
    await userEvent.type(within(streamCard).getByLabelText("Signing secret"), "x");
    expect(within(streamCard).queryByTestId("audit-stream-field-error")).toBeNull();

    answers.PUT = () => refusal(500, "boom");
    await userEvent.click(within(streamCard).getByRole("button", { name: "Start streaming" }));
    expect(await within(streamCard).findByTestId("audit-stream-save-error")).toBeInTheDocument();
  });

  it("shows where a running stream sends, how far it got and what waits", async () => {
    const lastDelivered = new Date(Date.now() - 3 * 60_000).toISOString();
    renderAudit({
      stream: auditStream({ url: URL_TEXT, delivered_through_seq: 40, head_seq: 42, pending: 2, last_delivered_at: lastDelivered }),
    });
    const streamCard = await card();
    expect(within(streamCard).getByTestId("audit-stream-url")).toHaveTextContent(URL_TEXT);
    expect(within(streamCard).getByTestId("audit-stream-state")).toHaveTextContent("Enabled");
    expect(within(streamCard).getByTestId("audit-stream-progress")).toHaveTextContent("Delivered through event #40 of #42");
    expect(within(streamCard).getByTestId("audit-stream-pending")).toHaveTextContent("2 events");
    expect(within(streamCard).getByTestId("audit-stream-last-delivered")).toHaveTextContent("3 minutes ago");
    expect(within(streamCard).queryByTestId("audit-stream-failing")).toBeNull();
    expect(within(streamCard).queryByTestId("audit-stream-form")).toBeNull();
  });

  it("warns when the endpoint fails, with its error and when the next attempt is", async () => {
    renderAudit({
      stream: auditStream({
        failures: 3,
        last_error: "the endpoint answered 503 Service Unavailable: down for maintenance",
        next_attempt_at: new Date(Date.now() + 7_500).toISOString(),
        pending: 12,
      }),
    });
    const failing = await within(await card()).findByTestId("audit-stream-failing");
    expect(failing).toHaveAttribute("role", "alert");
    expect(failing).toHaveTextContent("The last 3 attempts failed");
    expect(failing).toHaveTextContent("the endpoint answered 503 Service Unavailable: down for maintenance");
    expect(within(failing).getByTestId("audit-stream-next-attempt")).toHaveTextContent(/Next attempt in [78] seconds/);
  });

  it("reads the progress again every few seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    answers.GET = () => json(auditStream({ delivered_through_seq: 45, head_seq: 45, pending: 0 }));
    renderAudit({ stream: auditStream({ delivered_through_seq: 40, head_seq: 42, pending: 2 }) });
    const streamCard = await card();
    expect(within(streamCard).getByTestId("audit-stream-progress")).toHaveTextContent("Delivered through event #40 of #42");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(AUDIT_STREAM_POLL_MS);
    });
    await waitFor(() =>
      expect(within(streamCard).getByTestId("audit-stream-progress")).toHaveTextContent("Delivered through event #45 of #45"),
    );
    expect(within(streamCard).getByTestId("audit-stream-pending")).toHaveTextContent("0, caught up");
    expect(streamRequests("GET").length).toBeGreaterThanOrEqual(1);
  });

  it("edits the URL and keeps the secret when it is left empty, and a paused stream stays paused", async () => {
    const paused = auditStream({ url: URL_TEXT, enabled: false });
    answers.PUT = () => json({ ...paused, url: "https://logs.example.net/in" });
    renderAudit({ stream: paused });
    const streamCard = await card();
    await userEvent.click(within(streamCard).getByRole("button", { name: "Edit" }));
    const url = within(streamCard).getByLabelText("Endpoint URL");
    expect(url).toHaveValue(URL_TEXT);
    expect(within(streamCard).getByLabelText("New signing secret")).toHaveValue("");
    expect(within(streamCard).getByText(/Leave it empty to keep the current secret/)).toBeInTheDocument();
    await userEvent.clear(url);
    await userEvent.type(url, "https://logs.example.net/in");
    await userEvent.click(within(streamCard).getByRole("button", { name: "Save" }));
    expect(await within(streamCard).findByTestId("audit-stream-url")).toHaveTextContent("https://logs.example.net/in");
    expect(streamRequests("PUT")[0]?.body).toEqual({ url: "https://logs.example.net/in", enabled: false });
  });

  it("replaces the secret when a new one is given, and cancels an edit", async () => {
    answers.PUT = () => json(auditStream());
    renderAudit({ stream: auditStream({ url: URL_TEXT }) });
    const streamCard = await card();
    await userEvent.click(within(streamCard).getByRole("button", { name: "Edit" }));
    await userEvent.click(within(streamCard).getByRole("button", { name: "Cancel" }));
    expect(within(streamCard).queryByTestId("audit-stream-form")).toBeNull();
    expect(streamRequests("PUT")).toEqual([]);

    await userEvent.click(within(streamCard).getByRole("button", { name: "Edit" }));
    await userEvent.type(within(streamCard).getByLabelText("New signing secret"), "the-new-signing-secret");
    await userEvent.click(within(streamCard).getByRole("button", { name: "Save" }));
    await within(streamCard).findByTestId("audit-stream-status");
    expect(streamRequests("PUT")[0]?.body).toEqual({ url: URL_TEXT, secret: "the-new-signing-secret", enabled: true });
  });

  it("pauses and resumes the stream, keeping its URL and secret", async () => {
    const running = auditStream({ url: URL_TEXT, pending: 3 });
    answers.PUT = () => json({ ...running, enabled: false });
    renderAudit({ stream: running });
    const streamCard = await card();
    await userEvent.click(within(streamCard).getByRole("button", { name: "Pause" }));
    expect(await within(streamCard).findByTestId("audit-stream-state")).toHaveTextContent("Paused");
    expect(within(streamCard).getByText(/new events wait here/)).toBeInTheDocument();
    expect(streamRequests("PUT").map((request) => request.body)).toEqual([{ url: URL_TEXT, enabled: false }]);

    answers.PUT = () => json(running);
    await userEvent.click(within(streamCard).getByRole("button", { name: "Resume" }));
    await waitFor(() => expect(within(streamCard).getByTestId("audit-stream-state")).toHaveTextContent("Enabled"));
    expect(streamRequests("PUT").map((request) => request.body)).toEqual([
      { url: URL_TEXT, enabled: false },
      { url: URL_TEXT, enabled: true },
    ]);
  });

  it("removes the stream after a confirmation, and offers to set one up again", async () => {
    answers.DELETE = () => new Response(null, { status: 204 });
    renderAudit({ stream: auditStream() });
    const streamCard = await card();
    await userEvent.click(within(streamCard).getByRole("button", { name: "Remove" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Stop streaming the audit log?");
    expect(streamRequests("DELETE")).toEqual([]);
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove stream" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    expect(streamRequests("DELETE")).toEqual([{ method: "DELETE", path: "/api/v1/audit/stream", body: undefined }]);
    expect(await within(streamCard).findByTestId("audit-stream-form")).toBeInTheDocument();
    expect(within(streamCard).getByRole("button", { name: "Start streaming" })).toBeInTheDocument();
  });

  it.each(["technician", "readonly"] as const)("is not shown to a %s, who cannot manage the organization", async (role) => {
    renderAudit({ role });
    expect(await screen.findByTestId("audit-not-allowed")).toBeInTheDocument();
    expect(screen.queryByTestId("audit-stream")).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("is shown to a role that manages the organization without reading the log", async () => {
    renderAudit({ role: "custom", stream: auditStream(), user: { ...testUser("custom"), permissions: ["manage_organization"] } });
    expect(await screen.findByTestId("audit-stream")).toBeInTheDocument();
    expect(screen.getByTestId("audit-not-allowed")).toBeInTheDocument();
    expect(screen.queryByTestId("audit-integrity")).toBeNull();
  });
});
