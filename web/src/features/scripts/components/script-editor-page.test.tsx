import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Script, ScriptRequest } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { script as scriptFixture } from "@/test/fixtures";
import { renderPage, ROLE_PERMISSIONS, testUser } from "@/test/render-page";
import { scriptKeys } from "../api/scripts";
import { ScriptEditorPage } from "./script-editor-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

// The code editor (CodeMirror, themed) is not what these tests are about: a plain text area stands in.
vi.mock("./code-editor", () => ({
  codeLanguage: () => "shell",
  CodeEditor: ({ value, ariaLabel, onChange }: { value: string; ariaLabel: string; onChange?: (value: string) => void }) => (
    <textarea aria-label={ariaLabel} value={value} onChange={(event) => onChange?.(event.target.value)} />
  ),
}));

// Radix Select uses pointer capture and scrolling, which jsdom lacks.
beforeAll(() => {
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => undefined;
  Element.prototype.scrollIntoView ??= () => undefined;
});

/** As a technician who may edit scripts but not read secrets sees it. */
const hidden: Script = scriptFixture(
  { name: "Deploy" },
  {
    secrets_hidden: true,
    body: "deploy.sh",
    parameters: [
      { name: "Password", type: "secret", default: "********", required: true },
      { name: "Days", type: "number", default: "7" },
    ],
    default_env: { API_KEY: "********" },
  },
);

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

async function savedRequest(): Promise<ScriptRequest> {
  await waitFor(() => expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === "PUT")).toBe(true));
  const request = fetchMock.mock.calls.map(([input]) => input as Request).find((candidate) => candidate.method === "PUT");
  return (await request!.json()) as ScriptRequest;
}

function renderEditor() {
  const editor = { ...testUser("technician"), permissions: [...ROLE_PERMISSIONS.technician, "edit_scripts" as const] };
  return renderPage(<ScriptEditorPage scriptId="s1" onCreated={vi.fn()} onDeleted={vi.fn()} onJobStarted={vi.fn()} />, {
    seed: [
      [currentUserQueryKey, editor],
      [scriptKeys.detail("s1"), hidden],
      [scriptKeys.versions("s1"), { items: [hidden.current] }],
      [scriptKeys.categories, []],
      [scriptKeys.customFields, { items: [] }],
    ],
  });
}

describe("ScriptEditorPage with secrets hidden from the user", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "PUT") return json({ ...hidden, current: { ...hidden.current, version: 4 } });
      return json({ error: { code: "not_found", message: "not found" } }, 404);
    });
  });

  it("shows hidden values locked, and saves them untouched as the placeholder, which keeps them", async () => {
    renderEditor();
    const row = await screen.findByTestId("hidden-env-row");
    expect(row).toHaveTextContent("API_KEY");
    expect(row).toHaveTextContent("hidden — unchanged");
    expect(screen.getByTestId("hidden-default")).toHaveTextContent("hidden — unchanged");
    expect(screen.getByLabelText(/Environment/)).toHaveValue("");
    // Nowhere on the page as if it were a value.
    expect(document.body.innerHTML).not.toContain("********");

    await userEvent.type(screen.getByLabelText(/Environment/), "LANG=C");
    await userEvent.click(screen.getByTestId("save-script-button"));
    const request = await savedRequest();
    expect(request.default_env).toEqual({ LANG: "C", API_KEY: "********" });
    expect(request.parameters).toEqual([
      { name: "Password", type: "secret", required: true, default: "********" },
      { name: "Days", type: "number", required: false, default: "7" },
    ]);
  });

  it("saves the new values of what the user replaced", async () => {
    renderEditor();
    const row = await screen.findByTestId("hidden-env-row");
    await userEvent.click(within(row).getByRole("button", { name: "Replace the value of API_KEY" }));
    const value = within(row).getByLabelText("New value of API_KEY");
    expect(value).toHaveAttribute("type", "password");
    await userEvent.type(value, "k-new");
    await userEvent.click(screen.getByRole("button", { name: "Replace the default of parameter 1" }));
    await userEvent.type(screen.getByLabelText("Parameter 1 default"), "hunter2");
    await userEvent.click(screen.getByTestId("save-script-button"));
    const request = await savedRequest();
    expect(request.default_env).toEqual({ API_KEY: "k-new" });
    expect(request.parameters?.[0]).toEqual({ name: "Password", type: "secret", required: true, default: "hunter2" });
  });

  it("removes a hidden variable", async () => {
    renderEditor();
    await userEvent.click(await screen.findByRole("button", { name: "Remove API_KEY" }));
    expect(screen.queryByTestId("hidden-env-row")).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId("save-script-button"));
    expect((await savedRequest()).default_env).toEqual({});
  });
});
