import { screen, within } from "@testing-library/react";
import type { Script, ScriptPage } from "@/api/types";
import { renderPage } from "@/test/render-page";
import { scriptKeys } from "../api/scripts";
import { ScriptsPage } from "./scripts-page";
import { pageOf, script } from "@/test/fixtures";

const page = (items: Script[]): ScriptPage => pageOf(items);

function renderScripts(items: Script[], role: "admin" | "technician" | "readonly" = "admin", search = {}) {
  return renderPage(<ScriptsPage search={search} onSearchChange={() => undefined} onJobStarted={() => undefined} />, {
    role,
    seed: [
      [scriptKeys.list(search), page(items)],
      [scriptKeys.categories, ["Maintenance"]],
    ],
  });
}

describe("ScriptsPage", () => {
  it("lists scripts with category, type, version and a Run button", async () => {
    renderScripts([script()]);
    const row = await screen.findByTestId("script-row");
    expect(within(row).getByRole("link", { name: "Clean temp" })).toBeInTheDocument();
    expect(within(row).getByText("Maintenance")).toBeInTheDocument();
    expect(within(row).getByText("(bash)")).toBeInTheDocument();
    expect(within(row).getByText("v3")).toBeInTheDocument();
    expect(within(row).getByRole("button", { name: "Run Clean temp" })).toBeInTheDocument();
    expect(screen.getByTestId("new-script-button")).toBeInTheDocument();
  });

  it("offers technicians Run but not New script, which takes edit_scripts", async () => {
    renderScripts([script()], "technician");
    const row = await screen.findByTestId("script-row");
    expect(within(row).getByRole("button", { name: "Run Clean temp" })).toBeInTheDocument();
    expect(screen.queryByTestId("new-script-button")).not.toBeInTheDocument();
  });

  it("hides New script and Run from readonly users", async () => {
    renderScripts([script()], "readonly");
    await screen.findByTestId("script-row");
    expect(screen.queryByTestId("new-script-button")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Run Clean temp" })).not.toBeInTheDocument();
  });

  it("explains the library when it is empty, and says so when a filter matches nothing", async () => {
    const { unmount } = renderScripts([]);
    expect(await screen.findByTestId("scripts-empty")).toHaveTextContent("every past version");
    unmount();
    renderScripts([], "technician", { q: "nothing" });
    expect(await screen.findByText("No script matches these filters")).toBeInTheDocument();
  });
});
