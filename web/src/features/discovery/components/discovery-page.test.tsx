import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import type { Device, DiscoveryScan } from "@/api/types";
import { agentDetail, agentSummary, discoveredDevice, discoveryScan, pageOf } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import type { DiscoverySearch } from "../discovery-search";
import { DiscoveryPage } from "./discovery-page";

// openapi-fetch keeps the fetch it saw at creation, so the stub must exist before the client module loads.
const fetchMock = vi.hoisted(() => {
  const mock = vi.fn<typeof fetch>();
  globalThis.fetch = mock;
  return mock;
});

const SITE_ID = "5b1e0c9a-3d2f-4e8b-9a6c-1f2e3d4c5b6a";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const DEFAULTS = {
  ports: [22, 80],
  timeout_ms: 500,
  rate_per_second: 200,
  max_addresses: 4096,
  max_ranges: 16,
  max_ports: 64,
  device_types: ["workstation", "printer", "other"],
};

// The site's agents by hostname: the offline one first, so the form must pick the online one.
const AGENTS = [
  agentSummary({ id: "a-offline", hostname: "alpha", status: "offline", site_id: SITE_ID }),
  agentSummary({ id: "a-online", hostname: "bravo", status: "online", site_id: SITE_ID, local_ip: "10.0.0.9" }),
];

/**
 * A site's discovery API over mutable state: `scanAnswers` are what successive reads of the running
 * scan return (the last one repeats), and the devices are what `devicesAfter` says once it ended.
 */
function serve({
  scans = [],
  devices = [],
  startAnswer,
  scanAnswers = [],
  devicesAfter = [],
}: {
  scans?: DiscoveryScan[];
  devices?: Device[];
  startAnswer?: Response;
  scanAnswers?: DiscoveryScan[];
  devicesAfter?: Device[];
} = {}) {
  const state = { scans, devices, reads: 0, requests: [] as { method: string; url: string; body: unknown }[] };
  fetchMock.mockImplementation(async (input) => {
    if (!(input instanceof Request)) return json({});
    const url = new URL(input.url);
    const path = url.pathname;
    const body: unknown = input.method === "GET" || input.method === "DELETE" ? null : await input.clone().json();
    state.requests.push({ method: input.method, url: input.url, body });
    if (path === "/api/v1/discovery-defaults") return json(DEFAULTS);
    if (path === `/api/v1/sites/${SITE_ID}`) {
      return json({ id: SITE_ID, name: "HQ", client_id: "c", client_name: "Acme", agent_count: 2, created_at: "2026-01-01T00:00:00Z" });
    }
    if (path === "/api/v1/agents") return json(pageOf(AGENTS, 200));
    if (path === "/api/v1/agents/a-online") {
      return json(
        agentDetail({
          ...AGENTS[1],
          interfaces: [
            { name: "lo", ipv4: ["127.0.0.1/8"] },
            { name: "eth0", ipv4: ["192.168.1.20/24"] },
          ],
        }),
      );
    }
    if (path === "/api/v1/agents/a-offline")
      return json(agentDetail({ ...AGENTS[0], interfaces: [{ name: "eth0", ipv4: ["10.20.30.40/24"] }] }));
    if (path === `/api/v1/sites/${SITE_ID}/discovery-scans` && input.method === "POST") {
      const answer =
        startAnswer ??
        json(discoveryScan({ id: "scan-new", site_id: SITE_ID, status: "queued", progress: 0, done: 0, total: 256, hosts_found: 0 }), 201);
      if (answer.status === 201) {
        const started = (await answer.clone().json()) as DiscoveryScan;
        state.scans = [started, ...state.scans];
      }
      return answer;
    }
    if (path === `/api/v1/sites/${SITE_ID}/discovery-scans`) return json({ items: state.scans });
    if (path.startsWith("/api/v1/discovery-scans/") && input.method === "GET") {
      const answer = scanAnswers[Math.min(state.reads, scanAnswers.length - 1)];
      state.reads += 1;
      if (!answer) return json({ error: { code: "not_found", message: "no such scan" } }, 404);
      state.scans = [answer, ...state.scans.filter((scan) => scan.id !== answer.id)];
      if (answer.status === "completed") state.devices = devicesAfter;
      return json(answer);
    }
    if (path === `/api/v1/sites/${SITE_ID}/devices`) return json({ items: state.devices });
    if (path.startsWith("/api/v1/devices/") && input.method === "PATCH") {
      const id = path.split("/").pop();
      state.devices = state.devices.map((device) => (device.id === id ? { ...device, ...(body as Partial<Device>) } : device));
      return json(state.devices.find((device) => device.id === id));
    }
    return json({ error: { code: "not_found", message: `no ${input.method} ${path}` } }, 404);
  });
  return state;
}

function Page() {
  const [search, setSearch] = useState<DiscoverySearch>({});
  return <DiscoveryPage siteId={SITE_ID} search={search} onSearchChange={setSearch} />;
}

const POLLED = { timeout: 5_000 };

describe("DiscoveryPage", () => {
  it("starts a scan of the online agent's network, follows its progress and lists what it found", async () => {
    const running = discoveryScan({
      id: "scan-new",
      site_id: SITE_ID,
      status: "running",
      progress: 0.5,
      done: 128,
      total: 256,
      hosts_found: 1,
    });
    const completed = { ...running, status: "completed", progress: 1, done: 256, hosts_found: 1, new_devices: 1, missing_devices: 0 };
    const state = serve({
      scanAnswers: [running, completed],
      devicesAfter: [
        discoveredDevice({
          id: "d1",
          site_id: SITE_ID,
          ip: "192.168.1.50",
          hostname: "printer.lan",
          open_ports: [80, 9100],
          change: "new",
        }),
      ],
    });
    renderPage(<Page />);

    const ranges = await screen.findByTestId("scan-ranges-input");
    await waitFor(() => expect(ranges).toHaveValue("192.168.1.0/24"));
    expect(screen.getByTestId("scan-agent-select")).toHaveTextContent("bravo");
    expect(screen.getByTestId("scan-ports-input")).toHaveValue("22, 80");
    await userEvent.clear(screen.getByTestId("scan-ports-input"));
    await userEvent.type(screen.getByTestId("scan-ports-input"), "22 80, 9100");
    await userEvent.click(screen.getByTestId("scan-start"));

    expect(await screen.findByTestId("scan-progress-status")).toHaveTextContent("waiting for the agent to connect");
    const started = state.requests.find((request) => request.method === "POST");
    expect(started?.body).toEqual({
      agent_id: "a-online",
      ranges: ["192.168.1.0/24"],
      ports: [22, 80, 9100],
      timeout_ms: 500,
      rate_per_second: 200,
    });

    await waitFor(() => expect(screen.getByRole("progressbar", { name: "Scan progress" })).toHaveAttribute("aria-valuenow", "50"), POLLED);
    expect(screen.getByTestId("scan-progress-counts")).toHaveTextContent("128 of 256 addresses · 1 host found");
    expect(screen.getByTestId("scan-start")).toBeDisabled();

    expect(await screen.findByTestId("scan-outcome-text", {}, POLLED)).toHaveTextContent("Completed: 1 host, 1 new, 0 missing");
    const row = await screen.findByTestId("device-row");
    expect(row).toHaveAttribute("data-ip", "192.168.1.50");
    expect(within(row).getByTestId("device-name")).toHaveTextContent("printer.lan");
    expect(within(row).getByTestId("device-ports")).toHaveTextContent("80, 9100");
    expect(within(row).getByTestId("device-change")).toHaveTextContent("New");
    expect(within(screen.getByTestId("scan-history")).getByTestId("scan-history-row")).toHaveAttribute("data-status", "completed");
  });

  it("shows the server's refusal of a range by the form", async () => {
    serve({
      startAnswer: json(
        {
          error: {
            code: "invalid",
            message: 'ranges: "8.8.8.0/24" is not a private network (10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16 or 127/8)',
          },
        },
        422,
      ),
    });
    renderPage(<Page />);
    const ranges = await screen.findByTestId("scan-ranges-input");
    await waitFor(() => expect(ranges).toHaveValue("192.168.1.0/24"));
    await userEvent.clear(ranges);
    await userEvent.type(ranges, "8.8.8.0/24");
    await userEvent.click(screen.getByTestId("scan-start"));
    expect(await screen.findByTestId("scan-form-error")).toHaveTextContent('ranges: "8.8.8.0/24" is not a private network');
  });

  it("refuses a port that is not one before asking the server", async () => {
    const state = serve();
    renderPage(<Page />);
    await screen.findByTestId("scan-ranges-input");
    await userEvent.clear(screen.getByTestId("scan-ports-input"));
    await userEvent.type(screen.getByTestId("scan-ports-input"), "22, http");
    await userEvent.click(screen.getByTestId("scan-start"));
    expect(await screen.findByTestId("scan-ports-error")).toHaveTextContent('"http" is not a port (1 to 65535).');
    expect(state.requests.some((request) => request.method === "POST")).toBe(false);
  });

  it("suggests the picked agent's network instead", async () => {
    serve();
    renderPage(<Page />);
    const ranges = await screen.findByTestId("scan-ranges-input");
    await waitFor(() => expect(ranges).toHaveValue("192.168.1.0/24"));
    await userEvent.click(screen.getByTestId("scan-agent-select"));
    await userEvent.click(await screen.findByRole("option", { name: /alpha/ }));
    await waitFor(() => expect(ranges).toHaveValue("10.20.30.0/24"));
    expect(screen.getByTestId("scan-agent-offline")).toHaveTextContent("alpha is offline");
  });

  it("filters the missing devices, links a managed one to its agent, and names a device", async () => {
    const state = serve({
      scans: [discoveryScan({ site_id: SITE_ID, missing_devices: 1, new_devices: 0 })],
      devices: [
        discoveredDevice({ id: "d1", site_id: SITE_ID, ip: "192.168.1.10", managed_agent_id: "a-online", managed_agent_hostname: "bravo" }),
        discoveredDevice({ id: "d2", site_id: SITE_ID, ip: "192.168.1.20", hostname: "nas.lan", change: "missing" }),
      ],
    });
    renderPage(<Page />);
    expect(await screen.findByTestId("scan-outcome-text")).toHaveTextContent("Completed: 3 hosts, 0 new, 1 missing");
    expect(await screen.findAllByTestId("device-row")).toHaveLength(2);
    expect(screen.getByTestId("device-agent-link")).toHaveAttribute("href", "/agents/a-online");

    await userEvent.click(screen.getByTestId("devices-filter-missing"));
    const row = screen.getByTestId("device-row");
    expect(row).toHaveAttribute("data-ip", "192.168.1.20");
    expect(within(row).getByTestId("device-change")).toHaveTextContent("Missing");

    await userEvent.click(within(row).getByRole("button", { name: "Edit 192.168.1.20" }));
    const dialog = await screen.findByTestId("device-edit-dialog");
    await userEvent.type(within(dialog).getByTestId("device-name-input"), "Backup NAS");
    await userEvent.click(within(dialog).getByTestId("device-type-select"));
    await userEvent.click(await screen.findByRole("option", { name: "Other" }));
    await userEvent.click(within(dialog).getByTestId("device-save"));

    await waitFor(() => expect(within(screen.getByTestId("device-row")).getByTestId("device-name")).toHaveTextContent("Backup NAS"));
    expect(within(screen.getByTestId("device-row")).getByTestId("device-type")).toHaveTextContent("Other");
    expect(state.requests.find((request) => request.method === "PATCH")?.body).toEqual({
      name: "Backup NAS",
      device_type: "other",
      notes: "",
    });
  });

  it("lets a readonly user see the scans and devices but not start, cancel or edit", async () => {
    serve({
      scans: [discoveryScan({ site_id: SITE_ID, id: "scan-run", status: "running", progress: 0.25, done: 64, total: 256 })],
      scanAnswers: [discoveryScan({ site_id: SITE_ID, id: "scan-run", status: "running", progress: 0.25, done: 64, total: 256 })],
      devices: [discoveredDevice({ id: "d1", site_id: SITE_ID, ip: "192.168.1.10" })],
    });
    renderPage(<Page />, { role: "readonly" });
    expect(await screen.findByRole("progressbar", { name: "Scan progress" })).toHaveAttribute("aria-valuenow", "25");
    expect(await screen.findByTestId("device-row")).toBeInTheDocument();
    expect(screen.queryByTestId("scan-form")).not.toBeInTheDocument();
    expect(screen.queryByTestId("scan-cancel")).not.toBeInTheDocument();
    expect(screen.queryByTestId("device-edit")).not.toBeInTheDocument();
    expect(screen.queryByTestId("device-delete")).not.toBeInTheDocument();
  });
});
