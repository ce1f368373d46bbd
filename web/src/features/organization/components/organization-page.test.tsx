import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Role } from "@/api/types";
import { currentUserQueryKey } from "@/lib/auth";
import { renderPage, testUser } from "@/test/render-page";
import { organizationKeys, type OrganizationSettings } from "../api/organization";
import { OrganizationPage } from "./organization-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const settings: OrganizationSettings = {
  id: "o",
  name: "Best MSP",
  created_at: "2026-01-01T00:00:00Z",
  require_second_factor: false,
  users_without_second_factor: ["tech@example.com", "tina@example.com"],
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function patches(): Request[] {
  return fetchMock.mock.calls.map((call) => call[0] as Request).filter((request) => request.method === "PATCH");
}

function renderOrganization(role: Role = "owner", seeded: OrganizationSettings | null = settings) {
  return renderPage(<OrganizationPage />, { role, seed: seeded ? [[organizationKeys.settings, seeded]] : [] });
}

describe("OrganizationPage", () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (input) =>
      new URL((input as Request).url).pathname === "/api/v1/auth/me" ? json(testUser("owner")) : json(settings),
    );
  });

  it.each(["technician", "readonly"] as const)("tells a %s they don't have permission, and asks the server nothing", async (role) => {
    renderOrganization(role, null);
    const denied = await screen.findByTestId("organization-not-allowed");
    expect(denied).toHaveTextContent("You don't have permission to change organization settings");
    expect(within(denied).getByRole("link", { name: "your account page" })).toHaveAttribute("href", "/account");
    expect(screen.queryByTestId("organization-name")).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("reads the settings and lists the users without a second factor", async () => {
    renderOrganization("admin", null);
    expect(await screen.findByTestId("organization-name")).toHaveValue("Best MSP");
    expect(screen.getByRole("switch", { name: "Require a second factor for every user" })).not.toBeChecked();
    const list = screen.getByTestId("users-without-second-factor");
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["tech@example.com", "tina@example.com"]);
    expect(screen.getByTestId("users-without-second-factor-count")).toHaveTextContent("2");
  });

  it("says so when every user has a second factor", async () => {
    renderOrganization("owner", { ...settings, require_second_factor: true, users_without_second_factor: [] });
    expect(await screen.findByTestId("everyone-has-second-factor")).toHaveTextContent("Every active user signs in with a second factor.");
    expect(screen.getByRole("switch", { name: "Require a second factor for every user" })).toBeChecked();
  });

  it("renames the organization", async () => {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      if (request.method === "PATCH") return json({ ...settings, name: "Better MSP" });
      return json(testUser("owner"));
    });
    const { queryClient } = renderOrganization();
    const field = await screen.findByTestId("organization-name");
    const rename = screen.getByRole("button", { name: "Rename" });
    expect(rename).toBeDisabled();
    await userEvent.clear(field);
    await userEvent.type(field, " Better MSP ");
    await userEvent.click(rename);
    await waitFor(() => expect(patches()).toHaveLength(1));
    expect(await patches()[0]!.clone().json()).toEqual({ name: "Better MSP" });
    await waitFor(() => expect(screen.getByTestId("organization-name")).toHaveValue("Better MSP"));
    // The user menu shows the organization's name: the user is read again.
    expect(queryClient.getQueryState(currentUserQueryKey)?.isInvalidated).toBe(true);
  });

  it("shows the server's refusal of a name on the field", async () => {
    fetchMock.mockImplementation(async (input) =>
      (input as Request).method === "PATCH"
        ? json({ error: { code: "conflict", message: 'name: another organization is named "Acme"' } }, 409)
        : json(settings),
    );
    renderOrganization();
    const field = await screen.findByTestId("organization-name");
    await userEvent.clear(field);
    await userEvent.type(field, "Acme");
    await userEvent.click(screen.getByRole("button", { name: "Rename" }));
    expect(await screen.findByTestId("organization-name-error")).toHaveTextContent('Another organization is named "Acme"');
    expect(field).toHaveAttribute("aria-invalid", "true");
    await userEvent.type(field, "!");
    expect(screen.queryByTestId("organization-name-error")).toBeNull();
  });

  it("asks for a name before sending an empty one", async () => {
    renderOrganization();
    await userEvent.clear(await screen.findByTestId("organization-name"));
    await userEvent.click(screen.getByRole("button", { name: "Rename" }));
    expect(screen.getByTestId("organization-name-error")).toHaveTextContent("Give the organization a name.");
    expect(patches()).toHaveLength(0);
  });

  it("requires a second factor of every user", async () => {
    fetchMock.mockImplementation(async (input) =>
      (input as Request).method === "PATCH" ? json({ ...settings, require_second_factor: true }) : json(testUser("owner")),
    );
    renderOrganization();
    const toggle = await screen.findByRole("switch", { name: "Require a second factor for every user" });
    await userEvent.click(toggle);
    await waitFor(() => expect(toggle).toBeChecked());
    expect(await patches()[0]!.clone().json()).toEqual({ require_second_factor: true });
    expect(screen.getByText(/They are asked to set one up the next time they use the dashboard/)).toBeInTheDocument();
  });

  it("shows the server's refusal when the caller has no second factor yet, with a link to set one up", async () => {
    fetchMock.mockImplementation(async (input) =>
      (input as Request).method === "PATCH"
        ? json({ error: { code: "conflict", message: "set up your own second factor before requiring one of everybody" } }, 409)
        : json(settings),
    );
    renderOrganization();
    const toggle = await screen.findByRole("switch", { name: "Require a second factor for every user" });
    expect(screen.getByText(/You need a second factor of your own before you can turn this on/)).toBeInTheDocument();
    await userEvent.click(toggle);
    const failure = await screen.findByTestId("second-factor-failure");
    expect(failure).toHaveTextContent("set up your own second factor before requiring one of everybody");
    expect(within(failure).getByRole("link", { name: "Set up two-factor authentication on your account page" })).toHaveAttribute(
      "href",
      "/account",
    );
    expect(toggle).not.toBeChecked();
  });

  it("shows a failed read with a retry", async () => {
    fetchMock.mockImplementation(async () => json({ error: { code: "internal", message: "internal server error" } }, 500));
    renderOrganization("owner", null);
    expect(await screen.findByRole("alert")).toHaveTextContent("internal server error");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });
});
