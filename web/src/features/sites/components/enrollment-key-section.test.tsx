import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import type { Site, User } from "@/api/types";
import { TooltipProvider } from "@/components/ui/tooltip";
import { currentUserQueryKey } from "@/lib/auth";
import type { EnrollmentKeyInfo } from "../api/enrollment-keys";
import { siteKeys } from "../api/sites";
import { testUser } from "@/test/render-page";
import { EnrollmentKeySection, linuxInstallCommand } from "./enrollment-key-section";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const SITE_ID = "2c1f8f47-5049-4dc7-8e5b-3f5b9f1f9b22";
const site: Site = {
  id: SITE_ID,
  client_id: "0b0e7e36-4f38-4cb6-9d4a-2f4a8f0f8a11",
  client_name: "Acme",
  name: "HQ",
  agent_count: 0,
  enrollment_key_created_at: null,
  created_at: "2026-01-01T00:00:00Z",
};

function user(role: User["role"]): User {
  return testUser(role);
}

function keyInfo(overrides: Partial<EnrollmentKeyInfo>): EnrollmentKeyInfo {
  return {
    id: "k",
    site_id: SITE_ID,
    label: "Site key",
    state: "active",
    created_at: "2026-01-01T00:00:00Z",
    created_by_email: "tech@example.com",
    expires_at: null,
    max_uses: null,
    uses: 0,
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

function renderSection(role: User["role"], siteData: Site = site, keys: EnrollmentKeyInfo[] = []) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  queryClient.setQueryData(currentUserQueryKey, user(role));
  queryClient.setQueryData(siteKeys.detail(SITE_ID), siteData);
  queryClient.setQueryData(siteKeys.enrollmentKeys(SITE_ID), { items: keys });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <TooltipProvider>{children}</TooltipProvider>
    </QueryClientProvider>
  );
  return render(<EnrollmentKeySection siteId={SITE_ID} />, { wrapper });
}

describe("EnrollmentKeySection", () => {
  // In braces: a function returned from beforeEach is run as a cleanup, and mockReset returns the mock.
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("builds the Linux install from the server URL and the key, through a private key file", () => {
    expect(linuxInstallCommand("https://rmm.example.com", "k3y")).toBe(
      ` f=$(mktemp) && echo 'k3y' > "$f" && sudo gururmm-agent install --server https://rmm.example.com --enroll-key-file "$f"; rm -f "$f"`,
    );
  });

  it("never puts the key on the agent's command line, whatever it contains", () => {
    const command = linuxInstallCommand("https://rmm.example.com", "k'3y; rm -rf /");
    // Only echo, a shell builtin, sees the key; it is one single-quoted word.
    expect(command.startsWith(` f=$(mktemp) && echo 'k'\\''3y; rm -rf /' > "$f" && sudo gururmm-agent install `)).toBe(true);
    expect(command.split(' > "$f" && ')[1]).not.toContain("3y");
    expect(command).not.toContain("--enroll-key ");
  });

  it("allows a plain-HTTP server explicitly, since the agent refuses it otherwise", () => {
    expect(linuxInstallCommand("http://127.0.0.1:8080", "k3y")).toBe(
      ` f=$(mktemp) && echo 'k3y' > "$f" && sudo gururmm-agent install --server http://127.0.0.1:8080 --allow-insecure-http --enroll-key-file "$f"; rm -f "$f"`,
    );
    expect(linuxInstallCommand("https://rmm.example.com", "k3y")).not.toContain("--allow-insecure-http");
  });

  it("shows a new key once, with the install command containing it", async () => {
    fetchMock.mockImplementation(async (input) => {
      const request = input as Request;
      const body =
        request.method === "POST"
          ? { key: "grmm_secret_key", created_at: "2026-01-02T00:00:00Z", server_url: "https://rmm.example.com" }
          : { items: [keyInfo({ created_at: "2026-01-02T00:00:00Z" })] };
      return new Response(JSON.stringify(body), {
        status: request.method === "POST" ? 201 : 200,
        headers: { "Content-Type": "application/json" },
      });
    });
    renderSection("admin");
    await userEvent.click(screen.getByRole("button", { name: "Generate key" }));
    expect(await screen.findByTestId("enrollment-key-value")).toHaveTextContent("grmm_secret_key");
    expect(screen.getByTestId("install-command")).toHaveTextContent(
      // The server's configured public URL, not the address the browser happens to use.
      `f=$(mktemp) && echo 'grmm_secret_key' > "$f" && sudo gururmm-agent install --server https://rmm.example.com --enroll-key-file "$f"; rm -f "$f"`,
    );
    expect(screen.queryByTestId("insecure-http-warning")).not.toBeInTheDocument();
    const request = fetchMock.mock.calls[0]?.[0] as Request;
    expect(request.method).toBe("POST");
    expect(new URL(request.url).pathname).toBe(`/api/v1/sites/${SITE_ID}/enrollment-key`);
    // Once a key exists, getting another one needs the confirmation that revokes the old one.
    await waitFor(() => expect(screen.getByRole("button", { name: "Regenerate key" })).toBeInTheDocument());
  });

  it.each(["technician", "readonly"] as const)("hides key generation from a %s", (role) => {
    renderSection(role, { ...site, enrollment_key_created_at: "2026-01-01T00:00:00Z" }, [keyInfo({})]);
    expect(screen.queryByRole("button", { name: /generate key/i })).not.toBeInTheDocument();
    expect(screen.getByTestId("enrollment-key-status")).toHaveTextContent("1 key works");
    expect(screen.getByTestId("enrollment-key-status")).not.toHaveTextContent("regenerate");
  });

  it("names the keys that regenerating revokes, those made under Enrollment keys included", async () => {
    const keys = [
      keyInfo({ id: "k1", label: "Laptop rollout", max_uses: 10 }),
      keyInfo({ id: "k2", label: "Front desk PC", max_uses: 1 }),
      keyInfo({ id: "k3", label: "Old", state: "revoked", revoked_at: "2026-01-01T00:00:00Z" }),
    ];
    renderSection("admin", { ...site, enrollment_key_created_at: "2026-01-01T00:00:00Z" }, keys);
    expect(screen.getByTestId("enrollment-key-status")).toHaveTextContent("2 keys work");
    await userEvent.click(screen.getByRole("button", { name: "Regenerate key" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("All 2 working keys of this site stop at once (Laptop rollout, Front desk PC)");
    expect(dialog).toHaveTextContent("one new reusable key that never expires");
    expect(within(dialog).getByRole("button", { name: "Revoke all and regenerate" })).toBeInTheDocument();
  });

  it("generates a first key without asking when no key works, even if old ones exist", () => {
    renderSection("admin", site, [keyInfo({ state: "revoked", revoked_at: "2026-01-01T00:00:00Z" })]);
    expect(screen.getByRole("button", { name: "Generate key" })).toBeInTheDocument();
    expect(screen.getByTestId("enrollment-key-status")).toHaveTextContent("This site has no working enrollment key.");
  });
});
