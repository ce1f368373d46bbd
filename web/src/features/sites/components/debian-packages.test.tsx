import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import type { ReactNode } from "react";
import type { AgentRelease, AgentReleaseList } from "@/api/types";
import { TooltipProvider } from "@/components/ui/tooltip";
import { DebianPackages } from "./debian-packages";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

function release(product: string, version: string, arch: string, channel: AgentRelease["channel"] = "stable"): AgentRelease {
  const extension = product === "gururmm-agent-deb" ? ".deb" : "";
  return {
    product,
    version,
    channel,
    platform: "linux",
    arch,
    file: `${product}-${version}-linux-${arch}${extension}`,
    size: 2_500_000,
    sha256: `${version}-${arch}`.padEnd(64, "0"),
    released_at: "2026-12-01T00:00:00Z",
    expires_at: "2027-01-01T00:00:00Z",
  };
}

function renderWith(list: AgentReleaseList) {
  fetchMock.mockResolvedValue(new Response(JSON.stringify(list), { status: 200, headers: { "content-type": "application/json" } }));
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <TooltipProvider>{children}</TooltipProvider>
    </QueryClientProvider>
  );
  return render(
    <>
      <DebianPackages />
      <span>rendered</span>
    </>,
    { wrapper },
  );
}

describe("DebianPackages", () => {
  beforeEach(() => {
    fetchMock.mockReset();
  });

  it("offers the newest stable package of each architecture with its SHA-256 and install command", async () => {
    renderWith({
      configured: true,
      keys_present: true,
      items: [
        release("gururmm-agent", "0.3.0", "x86_64"),
        release("gururmm-agent-deb", "0.4.0-beta.1", "x86_64", "beta"),
        release("gururmm-agent-deb", "0.3.0", "aarch64"),
        release("gururmm-agent-deb", "0.3.0", "x86_64"),
        release("gururmm-agent-deb", "0.2.0", "x86_64"),
      ],
    });
    const packages = await screen.findAllByTestId("debian-package");
    expect(packages.map((item) => item.dataset.arch)).toEqual(["aarch64", "x86_64"]);
    const [arm64, amd64] = packages as [HTMLElement, HTMLElement];
    expect(within(amd64).getByTestId("debian-package-download")).toHaveAttribute(
      "href",
      "/api/v1/agent-packages/gururmm-agent-deb-0.3.0-linux-x86_64.deb",
    );
    expect(within(amd64).getByTestId("debian-package-download")).toHaveTextContent("0.3.0 for x86_64");
    expect(within(amd64).getByTestId("debian-package-sha256")).toHaveTextContent(`SHA-256 ${"0.3.0-x86_64".padEnd(64, "0")}`);
    expect(amd64).toHaveTextContent("sudo apt install ./gururmm-agent_0.3.0_amd64.deb");
    expect(arm64).toHaveTextContent("sudo apt install ./gururmm-agent_0.3.0_arm64.deb");
  });

  it("shows nothing when the server publishes no package", async () => {
    renderWith({ configured: true, keys_present: true, items: [release("gururmm-agent", "0.3.0", "x86_64")] });
    await screen.findByText("rendered");
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(screen.queryByTestId("debian-packages")).toBeNull();
  });
});
