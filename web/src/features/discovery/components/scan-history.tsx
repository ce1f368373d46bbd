//! The site's recent scans, newest first: when, from which agent, what, by whom, and how each ended.
import type { DiscoveryScan } from "@/api/types";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { isScanActive, scanOutcome, scanPercent } from "../scan-status";

const STATUS_BADGES: Record<string, { label: string; variant: "success" | "muted" | "info" | "destructive" | "outline" }> = {
  queued: { label: "Queued", variant: "muted" },
  running: { label: "Running", variant: "info" },
  completed: { label: "Completed", variant: "success" },
  cancelled: { label: "Cancelled", variant: "outline" },
  failed: { label: "Failed", variant: "destructive" },
};

/** What a history row says of a scan: its progress while it runs, else its outcome without the status. */
function scanResult(scan: DiscoveryScan): string {
  if (scan.status === "running") return `${scanPercent(scan)}% · ${scan.hosts_found} found`;
  if (isScanActive(scan)) return "Waiting for the agent";
  return scanOutcome(scan).replace(/^(Completed|Cancelled|Failed):? ?/, "") || "—";
}

export function ScanHistory({ scans }: { scans: DiscoveryScan[] }) {
  if (scans.length === 0) {
    return (
      <p className="text-sm text-muted-foreground" data-testid="scan-history-empty">
        No scan of this site yet.
      </p>
    );
  }
  return (
    <Table data-testid="scan-history">
      <TableHeader>
        <TableRow>
          <TableHead>Started</TableHead>
          <TableHead>Status</TableHead>
          <TableHead>Result</TableHead>
          <TableHead>Agent</TableHead>
          <TableHead>Ranges</TableHead>
          <TableHead>Ports</TableHead>
          <TableHead>By</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {scans.map((scan) => {
          const badge = STATUS_BADGES[scan.status] ?? { label: scan.status, variant: "outline" as const };
          return (
            <TableRow key={scan.id} data-testid="scan-history-row" data-status={scan.status}>
              <TableCell className="whitespace-nowrap">
                <RelativeTime value={scan.created_at} />
              </TableCell>
              <TableCell>
                <Badge variant={badge.variant}>{badge.label}</Badge>
              </TableCell>
              <TableCell className="max-w-72 truncate" title={scan.message || undefined}>
                {scanResult(scan)}
              </TableCell>
              <TableCell>{scan.agent_hostname}</TableCell>
              <TableCell className="max-w-56 truncate" title={scan.ranges.join(", ")}>
                {scan.ranges.join(", ")}
              </TableCell>
              <TableCell className="text-muted-foreground">{scan.ports.length}</TableCell>
              <TableCell className="max-w-48 truncate text-muted-foreground">{scan.created_by_email}</TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
