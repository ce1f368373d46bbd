import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ScriptVersionInfo } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { script } from "@/test/fixtures";
import { scriptKeys } from "../api/scripts";
import { ScriptVersionsCard } from "./script-versions-card";

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

const version = (number: number, body: string, overrides: Partial<ScriptVersionInfo> = {}): ScriptVersionInfo => ({
  ...script({}, { version: number, body }).current,
  created_by_email: `v${number}@example.com`,
  ...overrides,
});

const versions = [
  version(3, "echo start\necho three\necho end\n", { default_timeout_seconds: 60 }),
  version(2, "echo start\necho two\necho end\n"),
  version(1, "echo start\necho one\necho end\n"),
];

function renderVersions(role: "admin" | "technician" | "readonly" = "admin") {
  const onRestored = vi.fn();
  const result = renderPage(<ScriptVersionsCard scriptId="s1" onRestored={onRestored} />, {
    role,
    seed: [[scriptKeys.versions("s1"), { items: versions }]],
  });
  return { ...result, onRestored };
}

const diffLines = (dialog: HTMLElement) =>
  within(dialog)
    .getAllByTestId("diff-line")
    .map((line) => `${line.getAttribute("data-kind")}:${line.lastElementChild?.textContent?.replace(/^(added|removed): /, "")}`);

describe("ScriptVersionsCard", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "POST" && new URL(request.url).pathname === "/api/v1/scripts/s1/versions/1/restore") {
        return new Response(JSON.stringify(script({}, { version: 4, body: versions[2]!.body })), {
          status: 201,
          headers: { "Content-Type": "application/json" },
        });
      }
      return new Response(JSON.stringify({ items: versions }), { status: 200, headers: { "Content-Type": "application/json" } });
    });
  });

  it("shows what a version changed, line by line and in its settings", async () => {
    renderVersions();
    const rows = await screen.findAllByTestId("script-version-row");
    await userEvent.click(within(rows[0]!).getByRole("button", { name: "Changes" }));
    const dialog = await screen.findByTestId("version-diff-dialog");
    expect(within(dialog).getByRole("heading", { name: "Version 2 → version 3" })).toBeInTheDocument();
    expect(diffLines(dialog)).toEqual(["same:echo start", "removed:echo two", "added:echo three", "same:echo end"]);
    expect(within(dialog).getByTestId("diff-summary")).toHaveTextContent("1 added, 1 removed lines.");
    expect(within(dialog).getByTestId("diff-setting-changes")).toHaveTextContent("timeout: 300 s → 60 s");
    expect(within(rows[2]!).queryByRole("button", { name: "Changes" })).not.toBeInTheDocument();
  });

  it("compares any two versions, older first", async () => {
    renderVersions();
    await screen.findAllByTestId("script-version-row");
    await userEvent.click(screen.getByTestId("compare-from"));
    await userEvent.click(await screen.findByRole("option", { name: "v3" }));
    await userEvent.click(screen.getByTestId("compare-to"));
    await userEvent.click(await screen.findByRole("option", { name: "v1" }));
    await userEvent.click(screen.getByTestId("compare-versions-button"));
    const dialog = await screen.findByTestId("version-diff-dialog");
    expect(within(dialog).getByRole("heading", { name: "Version 1 → version 3" })).toBeInTheDocument();
    expect(diffLines(dialog)).toEqual(["same:echo start", "removed:echo one", "added:echo three", "same:echo end"]);
  });

  it("restores an old version after asking, and says which version it became", async () => {
    const { onRestored } = renderVersions();
    const rows = await screen.findAllByTestId("script-version-row");
    expect(within(rows[0]!).queryByTestId("restore-version-button")).not.toBeInTheDocument();
    await userEvent.click(within(rows[2]!).getByTestId("restore-version-button"));
    const confirm = await screen.findByRole("alertdialog");
    expect(confirm).toHaveTextContent("become version 4; version 3 stays in the history");
    await userEvent.click(within(confirm).getByRole("button", { name: "Restore version 1" }));
    await waitFor(() =>
      expect(onRestored).toHaveBeenCalledWith(expect.objectContaining({ current: expect.objectContaining({ version: 4 }) })),
    );
    const posts = fetchMock.mock.calls.map(([input]) => input as Request).filter((request) => request.method === "POST");
    expect(posts.map((request) => new URL(request.url).pathname)).toEqual(["/api/v1/scripts/s1/versions/1/restore"]);
  });

  it("lets readonly users view and compare, not restore", async () => {
    renderVersions("readonly");
    await screen.findAllByTestId("script-version-row");
    expect(screen.queryByTestId("restore-version-button")).not.toBeInTheDocument();
    expect(screen.getByTestId("compare-versions-button")).toBeEnabled();
  });
});
