//! One chart card of the agent's metric history. Each metric says what its numbers are (a percent,
//! an amount of bytes, or bytes per second), and the axis and tooltip format them accordingly.
import type { ReactNode } from "react";
import { Area, AreaChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { formatBytes, formatDateTime, formatPercent } from "@/lib/format";

/** What a metric measures: a share of 0–100, an amount of bytes, or a rate in bytes per second. */
export type MetricUnit = "percent" | "bytes" | "bytes-per-second";

interface UnitFormat {
  axis: (value: number) => string;
  tooltip: (value: number) => string;
  axisWidth: number;
  domain?: [number, number];
}

export const METRIC_UNIT_FORMATS: Record<MetricUnit, UnitFormat> = {
  percent: { axis: (value) => `${value}%`, tooltip: (value) => formatPercent(value), axisWidth: 36, domain: [0, 100] },
  bytes: { axis: (value) => formatBytes(value, 0), tooltip: (value) => formatBytes(value), axisWidth: 60 },
  "bytes-per-second": { axis: (value) => `${formatBytes(value, 0)}/s`, tooltip: (value) => `${formatBytes(value)}/s`, axisWidth: 60 },
};

export interface MetricSeries<Row> {
  dataKey: keyof Row & string;
  name: string;
  color: string;
  /** A limit drawn as a dashed step line (a total the used amount is measured against). */
  limit?: boolean;
}

const axisProps = {
  stroke: "currentColor",
  tick: { fontSize: 10, fill: "var(--muted-foreground)" },
  tickLine: false,
  axisLine: false,
} as const;

const tooltipStyle = {
  background: "var(--popover)",
  border: "1px solid var(--border)",
  borderRadius: 6,
  fontSize: 12,
  color: "var(--popover-foreground)",
} as const;

export function MetricChart<Row extends { time: number }>({
  title,
  testId,
  rows,
  unit,
  series,
  shape = "area",
  timeDomain,
  timeTick,
}: {
  title: string;
  testId: string;
  rows: Row[];
  unit: MetricUnit;
  series: MetricSeries<Row>[];
  /** Areas for amounts under a limit, lines for rates that cross each other. */
  shape?: "area" | "line";
  timeDomain: [number, number] | ["dataMin", "dataMax"];
  timeTick: (value: number) => string;
}) {
  const format = METRIC_UNIT_FORMATS[unit];
  // With only a few samples a line is too short to see, so draw the points too.
  const dot = rows.length < 4 ? { r: 2.5 } : false;
  const Chart = shape === "area" ? AreaChart : LineChart;
  return (
    <ChartCard title={title} testId={testId}>
      <ResponsiveContainer width="100%" height="100%">
        <Chart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
          <XAxis dataKey="time" type="number" scale="time" domain={timeDomain} tickFormatter={timeTick} minTickGap={40} {...axisProps} />
          <YAxis domain={format.domain} width={format.axisWidth} tickFormatter={format.axis} {...axisProps} />
          <Tooltip
            contentStyle={tooltipStyle}
            labelFormatter={(value: unknown) => formatDateTime(new Date(Number(value)).toISOString())}
            formatter={(value, name) => [format.tooltip(Number(value)), name]}
          />
          {series.map((line) => seriesElement(line, shape, dot))}
        </Chart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

function seriesElement<Row>(line: MetricSeries<Row>, shape: "area" | "line", dot: { r: number } | false) {
  const common = { dataKey: String(line.dataKey), name: line.name, isAnimationActive: false };
  if (shape === "line") return <Line key={line.dataKey} {...common} type="monotone" stroke={line.color} dot={dot} strokeWidth={1.5} />;
  if (line.limit) {
    return <Area key={line.dataKey} {...common} type="stepAfter" stroke="var(--muted-foreground)" strokeDasharray="4 3" fill="none" />;
  }
  return (
    <Area
      key={line.dataKey}
      {...common}
      type="monotone"
      stroke={line.color}
      fill={line.color}
      fillOpacity={0.2}
      strokeWidth={1.5}
      dot={dot}
    />
  );
}

function ChartCard({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <Card data-testid={testId}>
      <CardHeader className="pb-1">
        <CardTitle className="text-xs font-medium text-muted-foreground">{title}</CardTitle>
      </CardHeader>
      <CardContent className="h-44 px-1 pb-2">{children}</CardContent>
    </Card>
  );
}
