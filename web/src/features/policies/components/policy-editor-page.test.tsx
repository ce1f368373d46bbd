import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { channel, policy } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { policyKeys } from "../api/policies";
import { EditPolicyPage } from "./policy-editor-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const stored = policy();

describe("EditPolicyPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (request.method === "PUT" && path === `/api/v1/policies/${stored.id}`) {
        return json({ error: { code: "invalid", message: "checks[0].host: must be a host name or address" } }, 422);
      }
      if (path === "/api/v1/policy-assignments") return json({ items: [] });
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  it("checks a check's fields before keeping it, and puts the server's 422 on the check", async () => {
    renderPage(<EditPolicyPage policyId={stored.id} onDeleted={() => undefined} />, {
      role: "admin",
      seed: [[policyKeys.detail(stored.id), stored]],
    });
    const row = await screen.findByTestId("policy-check-row");
    expect(row).toHaveTextContent("127.0.0.1:8443");

    await userEvent.click(within(row).getByRole("button", { name: "Web port" }));
    const editor = await screen.findByTestId("check-editor");
    const port = within(editor).getByLabelText("Port");
    await userEvent.clear(port);
    await userEvent.type(port, "70000");
    await userEvent.click(within(editor).getByTestId("save-check"));
    expect(within(editor).getByTestId("check-field-error")).toHaveTextContent("1 to 65535.");
    expect(port).toHaveAttribute("aria-invalid", "true");

    await userEvent.clear(port);
    await userEvent.type(port, "9443");
    await userEvent.click(within(editor).getByTestId("save-check"));
    expect(screen.queryByTestId("check-editor")).toBeNull();
    expect(screen.getByTestId("policy-check-row")).toHaveTextContent("127.0.0.1:9443");

    // Keeping the check saved nothing yet.
    expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === "PUT")).toBe(false);
    await userEvent.click(screen.getByTestId("save-policy"));
    const sent = fetchMock.mock.calls.map(([input]) => input as Request).find((request) => request.method === "PUT");
    expect(await sent?.json()).toMatchObject({
      name: "Baseline",
      checks: [{ name: "Web port", type: "port", host: "127.0.0.1", port: 9443 }],
    });
    expect(await screen.findByTestId("policy-check-error")).toHaveTextContent("must be a host name or address");
    expect(screen.getByTestId("save-policy-error")).toHaveTextContent("Web port: host must be a host name or address");
  });

  it("keeps settings empty as inherited and refuses one out of range", async () => {
    renderPage(<EditPolicyPage policyId={stored.id} onDeleted={() => undefined} />, {
      role: "admin",
      seed: [[policyKeys.detail(stored.id), stored]],
    });
    const metrics = await screen.findByLabelText("Metrics every (seconds)");
    expect(metrics).toHaveValue("");
    await userEvent.type(metrics, "2");
    await userEvent.click(screen.getByTestId("save-policy"));
    expect(screen.getByTestId("policy-metrics_interval_seconds-error")).toHaveTextContent("5 to 3600.");
    expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === "PUT")).toBe(false);
  });

  it("inherits notification routes until told to set its own, then sends them", async () => {
    const pager = channel({ name: "Pager" });
    renderPage(<EditPolicyPage policyId={stored.id} onDeleted={() => undefined} />, {
      role: "admin",
      seed: [
        [policyKeys.detail(stored.id), stored],
        [policyKeys.pickChannels, { items: [pager] }],
      ],
    });
    const card = await screen.findByTestId("policy-notify");
    expect(within(card).getByTestId("notify-inherited")).toBeInTheDocument();

    await userEvent.click(within(card).getByTestId("notify-own-routes"));
    await userEvent.click(within(card).getByTestId("add-notify-route"));
    const route = within(card).getByTestId("notify-route");
    expect(within(route).getByTestId("notify-channel")).toHaveTextContent("Pager");
    await userEvent.click(within(route).getByTestId("notify-on-resolve"));

    await userEvent.click(screen.getByTestId("save-policy"));
    const sent = fetchMock.mock.calls.map(([input]) => input as Request).find((request) => request.method === "PUT");
    expect(await sent?.json()).toMatchObject({
      name: "Baseline",
      notify: [{ channel_id: pager.id, min_severity: "warning", on_resolve: false }],
    });
  });

  it("keeps stored routes and refuses a route without a channel", async () => {
    const withRoutes = policy({ notify: [{ channel_id: "", min_severity: "critical", on_resolve: true }] });
    renderPage(<EditPolicyPage policyId={withRoutes.id} onDeleted={() => undefined} />, {
      role: "admin",
      seed: [
        [policyKeys.detail(withRoutes.id), withRoutes],
        [policyKeys.pickChannels, { items: [] }],
      ],
    });
    expect(await screen.findByTestId("notify-route")).toHaveTextContent("Critical and up");
    await userEvent.click(screen.getByTestId("save-policy"));
    expect(screen.getByTestId("policy-notify-error")).toHaveTextContent("Pick a channel for notification route 1.");
    expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === "PUT")).toBe(false);
  });

  it("adds a check from a template and removes one", async () => {
    const template = {
      ...stored.checks![0]!,
      id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b11",
      name: "SSH",
      description: "",
      used_by: [],
      created_at: "",
      updated_at: "",
    };
    const other = { ...template, id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b12", name: "HTTPS" };
    const withTemplate = policy({ template_checks: [{ template_id: other.id }] });
    renderPage(<EditPolicyPage policyId={withTemplate.id} onDeleted={() => undefined} />, {
      role: "admin",
      seed: [
        [policyKeys.detail(withTemplate.id), withTemplate],
        [policyKeys.templates, { items: [template, other] }],
        [policyKeys.pickChannels, { items: [] }],
      ],
    });
    expect(await screen.findByTestId("template-check-row")).toHaveTextContent("HTTPS");
    await userEvent.click(screen.getByTestId("add-template-check-button"));
    const options = await screen.findAllByTestId("add-template-check");
    expect(options.map((option) => option.textContent)).toEqual(["SSH"]);
    await userEvent.click(options[0]!);
    expect(screen.getAllByTestId("template-check-row").map((row) => row.textContent)).toEqual(["HTTPS", "SSH"]);
    await userEvent.click(screen.getByRole("button", { name: "Remove HTTPS" }));

    await userEvent.click(screen.getByTestId("save-policy"));
    const sent = fetchMock.mock.calls.map(([input]) => input as Request).find((request) => request.method === "PUT");
    expect(await sent?.json()).toMatchObject({ template_checks: [{ template_id: template.id }] });
  });
});
