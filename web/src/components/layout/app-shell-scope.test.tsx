import { screen, within } from "@testing-library/react";
import type { User } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { LiveEventsProvider } from "@/lib/live-events";
import { ThemeProvider } from "@/lib/theme";
import { scopedUser } from "@/test/client-scope";
import { renderPage, testUser } from "@/test/render-page";
import { AppShell } from "./app-shell";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function renderShell(accessNote?: React.ReactNode, user: User = scopedUser(["c1", "c2"], "admin")) {
  const result = renderPage(
    <ThemeProvider>
      <LiveEventsProvider session={null}>
        <AppShell accessNote={accessNote}>
          <p>page</p>
        </AppShell>
      </LiveEventsProvider>
    </ThemeProvider>,
    { role: "admin" },
  );
  result.queryClient.setQueryData(currentUserQueryKey, user);
  return result;
}

describe("AppShell for a user limited to some clients", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("shows only the pages that work for them, whatever their role", async () => {
    renderShell();
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await vi.waitFor(() =>
      expect(
        within(nav)
          .getAllByRole("link")
          .map((link) => link.textContent),
      ).toEqual(["Overview", "Alerts", "Checks", "Agents", "Software", "Clients", "Scripts", "Jobs", "Maintenance"]),
    );
    for (const hidden of [
      "Policies",
      "Agent updates",
      "Custom fields",
      "Users",
      "Audit log",
      "Organization",
      "Single sign-on",
      "Approvals",
      "Organizations",
    ]) {
      expect(within(nav).queryByRole("link", { name: hidden })).toBeNull();
    }
  });
});

describe("AppShell's Organizations entry", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("is shown to the operator of the server only", async () => {
    renderShell(undefined, { ...testUser("owner"), operator: true });
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(await within(nav).findByRole("link", { name: "Organizations" })).toHaveAttribute("href", "/operator");
  });

  it.each(["owner", "admin"] as const)("is not shown to an %s who is not the operator", async (role) => {
    renderShell(undefined, testUser(role));
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await within(nav).findByRole("link", { name: "Organization" });
    expect(within(nav).queryByRole("link", { name: "Organizations" })).toBeNull();
  });
});
