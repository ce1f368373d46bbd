import type { ReactNode } from "react";
import { Area, AreaChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricPoint } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { formatBytes, formatDateTime, formatPercent } from "@/lib/format";
import { cn } from "@/lib/utils";
import { useAgentMetrics } from "../api/agents";
import { METRIC_RANGES, type MetricRange } from "../agent-list-search";

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

function ChartCard({ title, testId, children, footer }: { title: string; testId: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <Card data-testid={testId}>
      <CardHeader className="pb-1">
        <CardTitle className="text-xs font-medium text-muted-foreground">{title}</CardTitle>
        {footer}
      </CardHeader>
      <CardContent className="h-44 px-1 pb-2">{children}</CardContent>
    </Card>
  );
}

const axisProps = {
  stroke: "currentColor",
  tick: { fontSize: 10, fill: "var(--muted-foreground)" },
  tickLine: false,
  axisLine: false,
} as const;
const tooltipStyle = {
  contentStyle: {
    background: "var(--popover)",
    border: "1px solid var(--border)",
    borderRadius: 6,
    fontSize: 12,
    color: "var(--popover-foreground)",
  },
  labelFormatter: (value: unknown) => formatDateTime(new Date(Number(value)).toISOString()),
} as const;

export function MetricCharts({
  agentId,
  range,
  onRangeChange,
}: {
  agentId: string;
  range: MetricRange;
  onRangeChange: (range: MetricRange) => void;
}) {
  const metrics = useAgentMetrics(agentId, range);
  const rows = metrics.data ? toChartRows(metrics.data.points) : [];
  const domain: [number, number] | ["dataMin", "dataMax"] = metrics.data
    ? [Date.parse(metrics.data.from), Date.parse(metrics.data.to)]
    : ["dataMin", "dataMax"];
  const xAxis = (
    <XAxis dataKey="time" type="number" scale="time" domain={domain} tickFormatter={timeTick(range)} minTickGap={40} {...axisProps} />
  );
  const grid = <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />;
  // With only a few samples a line is too short to see, so draw the points too.
  const dot = rows.length < 4 ? { r: 2.5 } : false;
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
          <ChartCard title="CPU %" testId="chart-cpu">
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                {grid}
                {xAxis}
                <YAxis domain={[0, 100]} width={36} tickFormatter={(value: number) => `${value}%`} {...axisProps} />
                <Tooltip {...tooltipStyle} formatter={(value) => [formatPercent(Number(value)), "CPU"]} />
                <Area
                  dataKey="cpu"
                  name="CPU"
                  type="monotone"
                  stroke="var(--chart-1)"
                  fill="var(--chart-1)"
                  fillOpacity={0.2}
                  strokeWidth={1.5}
                  dot={dot}
                  isAnimationActive={false}
                />
              </AreaChart>
            </ResponsiveContainer>
          </ChartCard>
          <ChartCard title="Memory (used of total)" testId="chart-memory">
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                {grid}
                {xAxis}
                <YAxis width={60} tickFormatter={(value: number) => `${formatBytes(value, 0)}/s`} {...axisProps} />
                <Tooltip {...tooltipStyle} formatter={(value, name) => [`${formatBytes(Number(value))}/s`, name]} />
                <Area
                  dataKey="memoryTotal"
                  name="Total"
                  type="stepAfter"
                  stroke="var(--muted-foreground)"
                  strokeDasharray="4 3"
                  fill="none"
                  isAnimationActive={false}
                />
                <Area
                  dataKey="memoryUsed"
                  name="Used"
                  type="monotone"
                  stroke="var(--chart-2)"
                  fill="var(--chart-2)"
                  fillOpacity={0.2}
                  strokeWidth={1.5}
                  dot={dot}
                  isAnimationActive={false}
                />
              </AreaChart>
            </ResponsiveContainer>
          </ChartCard>
          <ChartCard title="Disks (used of total, all volumes)" testId="chart-disk">
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                {grid}
                {xAxis}
                <YAxis width={60} tickFormatter={(value: number) => `${formatBytes(value, 0)}/s`} {...axisProps} />
                <Tooltip {...tooltipStyle} formatter={(value, name) => [`${formatBytes(Number(value))}/s`, name]} />
                <Area
                  dataKey="diskTotal"
                  name="Total"
                  type="stepAfter"
                  stroke="var(--muted-foreground)"
                  strokeDasharray="4 3"
                  fill="none"
                  isAnimationActive={false}
                />
                <Area
                  dataKey="diskUsed"
                  name="Used"
                  type="monotone"
                  stroke="var(--chart-3)"
                  fill="var(--chart-3)"
                  fillOpacity={0.2}
                  strokeWidth={1.5}
                  dot={dot}
                  isAnimationActive={false}
                />
              </AreaChart>
            </ResponsiveContainer>
          </ChartCard>
          <ChartCard title="Network (received / sent per second)" testId="chart-network">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                {grid}
                {xAxis}
                <YAxis width={60} tickFormatter={(value: number) => `${formatBytes(value, 0)}/s`} {...axisProps} />
                <Tooltip {...tooltipStyle} formatter={(value, name) => [`${formatBytes(Number(value))}/s`, name]} />
                <Line
                  dataKey="rx"
                  name="Received"
                  type="monotone"
                  stroke="var(--chart-1)"
                  dot={dot}
                  strokeWidth={1.5}
                  isAnimationActive={false}
                />
                <Line
                  dataKey="tx"
                  name="Sent"
                  type="monotone"
                  stroke="var(--chart-4)"
                  dot={dot}
                  strokeWidth={1.5}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </ChartCard>
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
