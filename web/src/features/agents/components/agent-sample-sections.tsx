import { InfoIcon } from "lucide-react";
import type { AgentDetail, CollectorError, MetricSample, ProcessInfo } from "@/api/types";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Progress } from "@/components/ui/progress";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatBytes, formatDuration, formatPercent, usagePercent } from "@/lib/format";

export function DisksCard({ sample }: { sample: MetricSample }) {
  const disks = sample.disks ?? [];
  return (
    <Card data-testid="disks-card">
      <CardHeader>
        <CardTitle>Disks</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-3">
        {disks.length === 0 ? <p className="text-sm text-muted-foreground">No disks reported.</p> : null}
        {disks.map((disk) => {
          const percent = usagePercent(disk.used_bytes, disk.total_bytes);
          return (
            <div key={`${disk.mount_point}-${disk.file_system}`} className="grid gap-1">
              <div className="flex items-baseline justify-between gap-2 text-xs">
                <span className="truncate font-mono font-medium" title={disk.mount_point}>
                  {disk.mount_point} <span className="font-sans font-normal text-muted-foreground">{disk.file_system}</span>
                </span>
                <span className="shrink-0 tabular-nums text-muted-foreground">
                  {formatBytes(disk.used_bytes)} of {formatBytes(disk.total_bytes)} · {formatPercent(percent, 0)}
                </span>
              </div>
              <Progress value={percent ?? 0} aria-label={`${disk.mount_point} used`} />
            </div>
          );
        })}
      </CardContent>
    </Card>
  );
}

export function ProcessesCard({
  title,
  processes,
  testId,
  sortBy,
}: {
  title: string;
  processes: ProcessInfo[];
  testId: string;
  sortBy: "cpu" | "memory";
}) {
  return (
    <Card data-testid={testId}>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
      </CardHeader>
      <CardContent>
        {processes.length === 0 ? (
          <p className="text-sm text-muted-foreground">No processes reported.</p>
        ) : (
          <Table aria-label={title}>
            <TableHeader>
              <TableRow>
                <TableHead>Process</TableHead>
                <TableHead className="text-right">PID</TableHead>
                <TableHead className="text-right">{sortBy === "cpu" ? "CPU ▼" : "CPU"}</TableHead>
                <TableHead className="text-right">{sortBy === "memory" ? "Memory ▼" : "Memory"}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {processes.map((process) => (
                <TableRow key={`${process.pid}-${process.name}`}>
                  <TableCell className="max-w-48 truncate font-medium" title={process.name}>
                    {process.name}
                  </TableCell>
                  <TableCell className="text-right tabular-nums text-muted-foreground">{process.pid}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatPercent(process.cpu_percent)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatBytes(process.memory_bytes)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

export function InterfacesCard({ agent }: { agent: AgentDetail }) {
  return (
    <Card data-testid="interfaces-card">
      <CardHeader>
        <CardTitle>Network interfaces</CardTitle>
      </CardHeader>
      <CardContent>
        {agent.interfaces.length === 0 ? (
          <p className="text-sm text-muted-foreground">No interfaces reported.</p>
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>MAC</TableHead>
                <TableHead>IPv4</TableHead>
                <TableHead>IPv6</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {agent.interfaces.map((networkInterface) => (
                <TableRow key={networkInterface.name}>
                  <TableCell className="font-medium">{networkInterface.name}</TableCell>
                  <TableCell className="font-mono text-xs">{networkInterface.mac ?? "–"}</TableCell>
                  <TableCell className="font-mono text-xs whitespace-normal">{networkInterface.ipv4?.join(", ") || "–"}</TableCell>
                  <TableCell className="font-mono text-xs whitespace-nowrap">
                    {networkInterface.ipv6?.length ? networkInterface.ipv6.map((address) => <div key={address}>{address}</div>) : "–"}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

export function UsersCard({ sample }: { sample: MetricSample }) {
  const users = sample.users ?? [];
  return (
    <Card data-testid="users-card">
      <CardHeader>
        <CardTitle>Logged-in users</CardTitle>
      </CardHeader>
      <CardContent>
        {users.length === 0 ? (
          <p className="text-sm text-muted-foreground">Nobody is logged in.</p>
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>User</TableHead>
                <TableHead>Session</TableHead>
                <TableHead className="text-right">Idle</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {users.map((user, index) => (
                <TableRow key={`${user.name}-${user.session ?? index}`}>
                  <TableCell className="font-medium">{user.name}</TableCell>
                  <TableCell className="text-muted-foreground">{user.session ?? "–"}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatDuration(user.idle_seconds)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

export function SensorsCard({ sample }: { sample: MetricSample }) {
  const temperatures = sample.temperatures ?? [];
  const fans = sample.fans ?? [];
  if (temperatures.length === 0 && fans.length === 0) return null;
  return (
    <Card data-testid="sensors-card">
      <CardHeader>
        <CardTitle>Sensors</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-1 text-sm">
        {temperatures.map((reading) => (
          <div key={`t-${reading.label}`} className="flex justify-between gap-2">
            <span className="truncate text-muted-foreground">{reading.label}</span>
            <span className={reading.celsius >= 85 ? "font-medium text-destructive tabular-nums" : "tabular-nums"}>
              {reading.celsius.toFixed(0)} °C
            </span>
          </div>
        ))}
        {fans.map((reading) => (
          <div key={`f-${reading.label}`} className="flex justify-between gap-2">
            <span className="truncate text-muted-foreground">{reading.label}</span>
            <span className="tabular-nums">{Math.round(reading.rpm)} RPM</span>
          </div>
        ))}
      </CardContent>
    </Card>
  );
}

/**
 * Collectors that could not run. "Unsupported" is expected on some OSes and machines, so those share
 * one quiet line; a "failed" collector is a problem and gets its own line.
 */
export function CollectorNotes({ errors }: { errors: CollectorError[] }) {
  if (errors.length === 0) return null;
  const unsupported = errors.filter((error) => error.kind === "unsupported");
  const failed = errors.filter((error) => error.kind !== "unsupported");
  return (
    <div className="grid gap-1" data-testid="collector-notes">
      {unsupported.length > 0 ? (
        <div
          className="flex items-start gap-2 rounded-md bg-muted px-3 py-1.5 text-xs text-muted-foreground"
          data-testid="collector-unsupported"
        >
          <InfoIcon className="mt-0.5 size-3.5 shrink-0" aria-hidden />
          <span>
            Unsupported on this OS:{" "}
            {unsupported.map((error, index) => (
              <span key={error.collector}>
                {index > 0 ? ", " : null}
                <span className="font-medium" title={error.message}>
                  {error.collector}
                </span>
              </span>
            ))}
          </span>
        </div>
      ) : null}
      {failed.map((error) => (
        <div key={error.collector} className="flex items-start gap-2 rounded-md bg-destructive/10 px-3 py-1.5 text-xs text-destructive">
          <InfoIcon className="mt-0.5 size-3.5 shrink-0" aria-hidden />
          <span>
            <span className="font-medium">{error.collector}</span>: collection failed{error.message ? ` (${error.message})` : null}
          </span>
        </div>
      ))}
    </div>
  );
}
