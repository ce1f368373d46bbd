import { render, screen, within } from "@testing-library/react";
import type { MetricSample } from "@/api/types";
import { CollectorNotes, DisksCard, ProcessesCard, SensorsCard } from "./agent-sample-sections";

const sample: MetricSample = {
  collected_at: "2026-01-01T00:00:00Z",
  cpu_percent: 10,
  memory_used_bytes: 1,
  memory_total_bytes: 2,
  swap_used_bytes: 0,
  swap_total_bytes: 0,
  disks: [
    { mount_point: "/", file_system: "ext4", used_bytes: 46 * 1024 ** 3, total_bytes: 50 * 1024 ** 3 },
    { mount_point: "/boot", file_system: "vfat", used_bytes: 0, total_bytes: 0 },
  ],
  network_rx_bytes: null,
  network_tx_bytes: null,
  uptime_seconds: 60,
  users: [],
  top_cpu: [],
  top_memory: [],
  temperatures: [],
  fans: [],
  errors: [],
};

describe("agent sample sections", () => {
  it("draws each disk's usage, flagging a nearly full one", () => {
    render(<DisksCard sample={sample} />);
    expect(screen.getByText(/46\.0 GiB of 50\.0 GiB · 92 %/)).toBeInTheDocument();
    const bars = screen.getAllByRole("progressbar");
    expect(bars).toHaveLength(2);
    expect(bars[0]?.querySelector("[data-slot=progress-indicator]")?.className).toContain("bg-destructive");
    // A zero-sized volume must not divide by zero.
    expect(screen.getByText(/0 B of 0 B · –/)).toBeInTheDocument();
  });

  it("lists processes with CPU and memory", () => {
    render(
      <ProcessesCard
        title="Top processes by CPU"
        testId="top-cpu-table"
        sortBy="cpu"
        processes={[{ pid: 42, name: "postgres", cpu_percent: 23.46, memory_bytes: 200 * 1024 ** 2 }]}
      />,
    );
    const row = within(screen.getByTestId("top-cpu-table")).getByRole("row", { name: /postgres/ });
    expect(row).toHaveTextContent("42");
    expect(row).toHaveTextContent("23.5 %");
    expect(row).toHaveTextContent("200.0 MiB");
  });

  it("groups collectors unsupported on this OS and calls out failed ones", () => {
    render(
      <CollectorNotes
        errors={[
          { collector: "temperatures", kind: "unsupported", message: "no hwmon" },
          { collector: "fans", kind: "unsupported", message: "no hwmon" },
          { collector: "users", kind: "failed", message: "utmp unreadable" },
        ]}
      />,
    );
    expect(screen.getByTestId("collector-unsupported")).toHaveTextContent("Unsupported on this OS: temperatures, fans");
    expect(screen.getByText(/collection failed \(utmp unreadable\)/)).toBeInTheDocument();
  });

  it("hides the sensors card when the machine reports no sensor", () => {
    const { container } = render(<SensorsCard sample={sample} />);
    expect(container).toBeEmptyDOMElement();
    render(<SensorsCard sample={{ ...sample, temperatures: [{ label: "CPU", celsius: 91 }], fans: [{ label: "fan1", rpm: 1200 }] }} />);
    expect(screen.getByTestId("sensors-card")).toHaveTextContent("91 °C");
    expect(screen.getByTestId("sensors-card")).toHaveTextContent("1200 RPM");
  });
});
