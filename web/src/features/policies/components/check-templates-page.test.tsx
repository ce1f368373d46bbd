import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { CheckTemplate } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { policyKeys } from "../api/policies";
import { CheckTemplatesPage } from "./check-templates-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const SSH: CheckTemplate = {
  id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b11",
  name: "SSH",
  type: "port",
  host: "127.0.0.1",
  port: 22,
  interval_seconds: 60,
  fail_after: 2,
  severity: "critical",
  enabled: true,
  description: "The SSH daemon answers",
  used_by: ["Baseline", "Linux servers"],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("CheckTemplatesPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const path = new URL(request.url).pathname;
      if (request.method === "DELETE" && path === `/api/v1/check-templates/${SSH.id}`) {
        return json({ error: { code: "conflict", message: "the template is used by Baseline, Linux servers" } }, 409);
      }
      if (request.method === "PUT" && path === `/api/v1/check-templates/${SSH.id}`) {
        return json({ error: { code: "invalid", message: "port: must be 1 to 65535" } }, 422);
      }
      if (path === "/api/v1/check-templates") return json({ items: [SSH] });
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  it("lists templates with their check and the policies using them", async () => {
    renderPage(<CheckTemplatesPage />, { role: "readonly", seed: [[policyKeys.templates, { items: [SSH] }]] });
    const row = await screen.findByTestId("template-row");
    expect(within(row).getByTestId("template-summary")).toHaveTextContent("127.0.0.1:22");
    expect(within(row).getByTestId("template-used-by")).toHaveTextContent("BaselineLinux servers");
    expect(screen.queryByTestId("delete-template")).toBeNull();
  });

  it("shows the server's refusal to delete a template in use", async () => {
    renderPage(<CheckTemplatesPage />, { role: "admin", seed: [[policyKeys.templates, { items: [SSH] }]] });
    await userEvent.click(await screen.findByTestId("delete-template"));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Policies use it (Baseline, Linux servers)");
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(dialog).findByText(/used by Baseline, Linux servers/)).toBeInTheDocument();
  });

  it("edits a template and its description with the check form, and puts a 422 on the field", async () => {
    renderPage(<CheckTemplatesPage />, { role: "admin", seed: [[policyKeys.templates, { items: [SSH] }]] });
    await userEvent.click(await screen.findByTestId("edit-template"));
    const editor = await screen.findByTestId("check-editor");
    const port = within(editor).getByLabelText("Port");
    await userEvent.clear(port);
    await userEvent.type(port, "2222");
    const description = within(editor).getByLabelText("Template description");
    expect(description).toHaveValue("The SSH daemon answers");
    await userEvent.type(description, " on 22");
    await userEvent.click(within(editor).getByTestId("save-check"));
    const sent = fetchMock.mock.calls.map(([input]) => input as Request).find((request) => request.method === "PUT");
    expect(await sent?.json()).toMatchObject({ name: "SSH", type: "port", port: 2222, description: "The SSH daemon answers on 22" });
    expect(await screen.findByTestId("check-field-error")).toHaveTextContent("must be 1 to 65535");
  });
});
