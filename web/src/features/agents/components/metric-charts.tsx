import type { MetricPoint } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";
import { useAgentMetrics } from "../api/agents";
import { MetricChart, type MetricSeries } from "./metric-chart";
import { METRIC_RANGES, type MetricRange } from "../agent-list-search";
import { chartDomain } from "../chart-domain";

const CPU: MetricSeries<ChartRow> = { dataKey: "cpu", name: "CPU", color: "var(--chart-1)" };
const MEMORY: MetricSeries<ChartRow>[] = [
  { dataKey: "memoryTotal", name: "Total", color: "var(--muted-foreground)", limit: true },
  { dataKey: "memoryUsed", name: "Used", color: "var(--chart-2)" },
];
const DISK: MetricSeries<ChartRow>[] = [
  { dataKey: "diskTotal", name: "Total", color: "var(--muted-foreground)", limit: true },
  { dataKey: "diskUsed", name: "Used", color: "var(--chart-3)" },
];
const NETWORK: MetricSeries<ChartRow>[] = [
  { dataKey: "rx", name: "Received", color: "var(--chart-1)" },
  { dataKey: "tx", name: "Sent", color: "var(--chart-4)" },
];

const RANGE_LABELS: Record<MetricRange, string> = { "1h": "1 h", "24h": "24 h", "7d": "7 d" };

interface ChartRow {
  time: number;
  cpu: number | null;
  memoryUsed: number | null;
  memoryTotal: number | null;
  diskUsed: number | null;
  diskTotal: number | null;
  rx: number | null;
  tx: number | null;
}

export function toChartRows(points: MetricPoint[]): ChartRow[] {
  return points
    .map((point) => ({
      time: Date.parse(point.time),
      cpu: point.cpu_percent ?? null,
      memoryUsed: point.memory_used_bytes ?? null,
      memoryTotal: point.memory_total_bytes ?? null,
      diskUsed: point.disk_used_bytes ?? null,
      diskTotal: point.disk_total_bytes ?? null,
      rx: point.network_rx_bytes_per_second ?? null,
      tx: point.network_tx_bytes_per_second ?? null,
    }))
    .filter((row) => !Number.isNaN(row.time))
    .sort((a, b) => a.time - b.time);
}

function timeTick(range: MetricRange) {
  return (value: number) => {
    const date = new Date(value);
    return range === "7d"
      ? date.toLocaleDateString(undefined, { month: "short", day: "numeric" })
      : date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  };
}

export function RangeSelector({ range, onRangeChange }: { range: MetricRange; onRangeChange: (range: MetricRange) => void }) {
  return (
    <div role="group" aria-label="Chart range" className="inline-flex rounded-md border p-0.5">
      {METRIC_RANGES.map((option) => (
        <Button
          key={option}
          size="sm"
          variant={option === range ? "secondary" : "ghost"}
          aria-pressed={option === range}
          data-testid={`range-${option}`}
          className={cn("h-6 px-2", option === range && "font-semibold")}
          onClick={() => onRangeChange(option)}
        >
          {RANGE_LABELS[option]}
        </Button>
      ))}
    </div>
  );
}

export function MetricCharts({
  agentId,
  range,
  onRangeChange,
  since,
}: {
  agentId: string;
  range: MetricRange;
  onRangeChange: (range: MetricRange) => void;
  /** When the agent enrolled: a younger agent's charts start there, not in an empty past. */
  since?: string;
}) {
  const metrics = useAgentMetrics(agentId, range);
  const rows = metrics.data ? toChartRows(metrics.data.points) : [];
  const domain: [number, number] | ["dataMin", "dataMax"] = metrics.data
    ? chartDomain(metrics.data.from, metrics.data.to, since)
    : ["dataMin", "dataMax"];
  const time = { timeDomain: domain, timeTick: timeTick(range) };
  const bucketNote = metrics.data && metrics.data.bucket_seconds > 0 ? `averaged per ${formatBucket(metrics.data.bucket_seconds)}` : null;

  return (
    <section className="grid gap-2" aria-label="Metric history">
      <div className="flex items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">History</h2>
        <div className="flex items-center gap-2">
          {bucketNote ? <span className="text-xs text-muted-foreground">{bucketNote}</span> : null}
          <RangeSelector range={range} onRangeChange={onRangeChange} />
        </div>
      </div>
      {metrics.isError ? <ErrorMessage error={metrics.error} onRetry={() => void metrics.refetch()} /> : null}
      {metrics.isPending ? (
        <div className="grid gap-3 lg:grid-cols-2">
          {[0, 1, 2, 3].map((index) => (
            <Skeleton key={index} className="h-52" />
          ))}
        </div>
      ) : (
        <div className={cn("grid gap-3 lg:grid-cols-2", metrics.isFetching && metrics.isPlaceholderData && "opacity-60")}>
          <MetricChart title="CPU %" testId="chart-cpu" rows={rows} unit="percent" series={[CPU]} {...time} />
          <MetricChart title="Memory (used of total)" testId="chart-memory" rows={rows} unit="bytes" series={MEMORY} {...time} />
          <MetricChart title="Disks (used of total, all volumes)" testId="chart-disk" rows={rows} unit="bytes" series={DISK} {...time} />
          <MetricChart
            title="Network (received / sent per second)"
            testId="chart-network"
            rows={rows}
            unit="bytes-per-second"
            shape="line"
            series={NETWORK}
            {...time}
          />
        </div>
      )}
      {metrics.data && rows.length === 0 ? <p className="text-xs text-muted-foreground">No samples in this range yet.</p> : null}
    </section>
  );
}

function formatBucket(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
