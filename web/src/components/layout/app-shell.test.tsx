import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Role } from "@/api/types";
import { LiveEventsProvider } from "@/lib/live-events";
import { ThemeProvider } from "@/lib/theme";
import { currentUserQueryKey } from "@/lib/auth";
import { renderPage, testUser } from "@/test/render-page";
import { AppShell } from "./app-shell";

function renderShell(role: Role) {
  return renderPage(
    <ThemeProvider>
      <LiveEventsProvider session={null}>
        <AppShell>
          <p>page</p>
        </AppShell>
      </LiveEventsProvider>
    </ThemeProvider>,
    { role },
  );
}

describe("AppShell", () => {
  it.each(["owner", "admin"] as const)("shows the Users entry to an %s, beside Custom fields", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    const labels = within(nav)
      .getAllByRole("link")
      .map((link) => link.textContent);
    expect(labels.indexOf("Users")).toBe(labels.indexOf("Custom fields") + 1);
    expect(within(nav).getByRole("link", { name: "Users" })).toHaveAttribute("href", "/users");
  });

  it.each(["technician", "readonly"] as const)("hides the Users entry from a %s", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Agents" })).toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Users" })).toBeNull();
  });

  it.each(["owner", "admin"] as const)("shows the Roles entry to an %s, after Users", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    const labels = within(nav)
      .getAllByRole("link")
      .map((link) => link.textContent);
    expect(labels.indexOf("Roles")).toBe(labels.indexOf("Users") + 1);
    expect(within(nav).getByRole("link", { name: "Roles" })).toHaveAttribute("href", "/roles");
  });

  it.each(["technician", "readonly"] as const)("hides the Roles entry from a %s", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Agents" })).toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Roles" })).toBeNull();
  });

  it.each(["owner", "admin"] as const)("shows the Audit log entry to an %s, after Roles", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    const labels = within(nav)
      .getAllByRole("link")
      .map((link) => link.textContent);
    expect(labels.indexOf("Audit log")).toBe(labels.indexOf("Roles") + 1);
    expect(within(nav).getByRole("link", { name: "Audit log" })).toHaveAttribute("href", "/audit");
  });

  it.each(["technician", "readonly"] as const)("hides the Audit log entry from a %s", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Agents" })).toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Audit log" })).toBeNull();
  });

  it("links to the signed-in user's account from the user menu", async () => {
    renderShell("readonly");
    await userEvent.click(await screen.findByTestId("user-menu"));
    expect(await screen.findByRole("menuitem", { name: "Your account" })).toHaveAttribute("href", "/account");
  });

  it.each(["owner", "admin"] as const)("shows the Organization entry to an %s, after Audit log", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    const labels = within(nav)
      .getAllByRole("link")
      .map((link) => link.textContent);
    expect(labels.indexOf("Organization")).toBe(labels.indexOf("Audit log") + 1);
    expect(within(nav).getByRole("link", { name: "Organization" })).toHaveAttribute("href", "/organization");
  });

  it.each(["technician", "readonly"] as const)("hides the Organization entry from a %s", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Agents" })).toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Organization" })).toBeNull();
  });

  it.each(["owner", "admin"] as const)("shows the Single sign-on entry to an %s, after Organization", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    const labels = within(nav)
      .getAllByRole("link")
      .map((link) => link.textContent);
    expect(labels.indexOf("Single sign-on")).toBe(labels.indexOf("Organization") + 1);
    expect(within(nav).getByRole("link", { name: "Single sign-on" })).toHaveAttribute("href", "/single-sign-on");
  });

  it.each(["technician", "readonly"] as const)("hides the Single sign-on entry from a %s", async (role) => {
    renderShell(role);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Agents" })).toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Single sign-on" })).toBeNull();
  });

  it("shows an operator's support session above the header, naming the organization supported", async () => {
    const { queryClient } = renderShell("owner");
    queryClient.setQueryData(currentUserQueryKey, {
      ...testUser("owner"),
      organization_name: "Acme IT",
      support: { home_organization_name: "Best MSP", reason: "ticket 4521", expires_at: new Date(Date.now() + 600_000).toISOString() },
    });
    const banner = await screen.findByTestId("support-banner");
    expect(banner).toHaveTextContent(/^Support access to Acme IT — ticket 4521 — ends in (10m 00s|9m 5\ds)/);
    const header = document.querySelector("header");
    expect(header).not.toBeNull();
    expect(banner.compareDocumentPosition(header!) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(screen.getByTestId("user-menu")).toHaveTextContent("Acme IT");
  });

  it("shows no support banner in a usual session", async () => {
    renderShell("owner");
    await screen.findByRole("navigation", { name: "Main" });
    expect(screen.queryByTestId("support-banner")).toBeNull();
  });

  it("links to the signed-in user's API keys from the user menu, for every role", async () => {
    renderShell("readonly");
    await userEvent.click(await screen.findByTestId("user-menu"));
    expect(await screen.findByRole("menuitem", { name: "API keys" })).toHaveAttribute("href", "/api-keys");
  });
});
