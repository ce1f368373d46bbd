import { screen, within } from "@testing-library/react";
import { currentUserQueryKey } from "@/lib/auth";
import { LiveEventsProvider } from "@/lib/live-events";
import { ThemeProvider } from "@/lib/theme";
import { scopedUser } from "@/test/client-scope";
import { renderPage } from "@/test/render-page";
import { AppShell } from "./app-shell";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function renderShell(accessNote?: React.ReactNode) {
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
  result.queryClient.setQueryData(currentUserQueryKey, scopedUser(["c1", "c2"], "admin"));
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
      ).toEqual(["Overview", "Agents", "Clients"]),
    );
    for (const hidden of ["Alerts", "Scripts", "Users", "Audit log", "Organization", "Approvals"]) {
      expect(within(nav).queryByRole("link", { name: hidden })).toBeNull();
    }
  });
});
