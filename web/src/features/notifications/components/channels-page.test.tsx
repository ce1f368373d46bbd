import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { channel, delivery } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { notificationKeys } from "../api/notifications";
import { ChannelsPage } from "./channels-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const EMAIL = channel();
const HOOK = channel({
  id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c02",
  name: "Ticketing",
  kind: "webhook",
  config: { to: [], url_hint: "https://tickets.example/…", has_secret: true },
  unusable_reason: null,
});
const PREVIEW = {
  subject: "[Critical] Web port failing on web01",
  body: "Sample body",
  variables: { agent: "web01", title: "Web port failing", event: "opened" },
  default_subject_template: "[{{ severity }}] {{ title }}",
  default_body_template: "{{ output }}",
};

describe("ChannelsPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (path === "/api/v1/notification-templates/preview") return json(PREVIEW);
      if (request.method === "POST" && path === `/api/v1/notification-channels/${EMAIL.id}/test`) {
        return json(delivery({ status: "failed", last_error: "smtp: connection refused", event: "test" }));
      }
      if (request.method === "PUT" && path === `/api/v1/notification-channels/${HOOK.id}`) {
        return json({ error: { code: "invalid", message: "config.url: must not reach a private address" } }, 422);
      }
      if (path === "/api/v1/notification-channels") return json({ items: [EMAIL, HOOK] });
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  function renderChannels(role: "admin" | "technician" | "readonly" = "admin") {
    renderPage(<ChannelsPage />, { role, seed: [[notificationKeys.channels, { items: [EMAIL, HOOK] }]] });
  }

  it("lists channels with where they send, and hides changes from readonly users", async () => {
    renderChannels("readonly");
    const rows = await screen.findAllByTestId("channel-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId("channel-target")).toHaveTextContent("oncall@example.com");
    expect(within(rows[1]!).getByTestId("channel-target")).toHaveTextContent("https://tickets.example/… · signed");
    expect(screen.queryByTestId("test-channel")).toBeNull();
    expect(screen.queryByTestId("new-channel-button")).toBeNull();
  });

  it("shows a failed test with the error", async () => {
    renderChannels();
    const rows = await screen.findAllByTestId("channel-row");
    await userEvent.click(within(rows[0]!).getByTestId("test-channel"));
    const outcome = await within(rows[0]!).findByTestId("test-outcome");
    expect(outcome).toHaveAttribute("data-status", "failed");
    expect(outcome).toHaveTextContent("Test failed: smtp: connection refused");
  });

  it("edits a webhook keeping its URL and secret when left blank, and puts the server's 422 on the URL", async () => {
    renderChannels();
    const rows = await screen.findAllByTestId("channel-row");
    await userEvent.click(within(rows[1]!).getByTestId("edit-channel"));
    const form = await screen.findByTestId("channel-form");
    expect(within(form).getAllByText("Write-only: leave blank to keep the stored one.", { exact: false })).toHaveLength(2);
    // The preview shows the defaults and the variables.
    expect(await within(form).findByTestId("preview-subject")).toHaveTextContent("[Critical] Web port failing on web01");
    expect(within(form).getByLabelText("Subject template")).toHaveAttribute("placeholder", "[{{ severity }}] {{ title }}");
    expect(within(form).getByTestId("template-variables")).toHaveTextContent("agent");

    await userEvent.click(within(form).getByTestId("save-channel"));
    const sent = fetchMock.mock.calls.map(([input]) => input as Request).find((request) => request.method === "PUT");
    expect(await sent?.json()).toEqual({ name: "Ticketing", kind: "webhook", config: {}, subject_template: null, body_template: null });
    const error = await within(form).findByTestId("channel-field-error");
    expect(error).toHaveAttribute("data-field", "url");
    expect(error).toHaveTextContent("must not reach a private address");
  });

  it("checks a new channel's fields before sending", async () => {
    renderChannels();
    await userEvent.click(await screen.findByTestId("new-channel-button"));
    const form = await screen.findByTestId("channel-form");
    await userEvent.click(within(form).getByTestId("save-channel"));
    const fields = within(form)
      .getAllByTestId("channel-field-error")
      .map((element) => element.getAttribute("data-field"));
    expect(fields).toEqual(["name", "to"]);
    expect(
      fetchMock.mock.calls.some(
        ([input]) => (input as Request).method === "POST" && new URL((input as Request).url).pathname === "/api/v1/notification-channels",
      ),
    ).toBe(false);
  });
});
