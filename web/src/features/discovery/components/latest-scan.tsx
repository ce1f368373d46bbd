//! The site's newest scan: while it is queued or running, its progress read every second with a
//! cancel button; once it ended, the line it leaves ("Completed: 12 hosts, 2 new, 1 missing").
import { XIcon } from "lucide-react";
import { errorMessage } from "@/api/errors";
import type { DiscoveryScan } from "@/api/types";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Progress } from "@/components/ui/progress";
import { useCan } from "@/lib/auth";
import { useCancelScan, useScan } from "../api/discovery";
import { isScanActive, scanOutcome, scanPercent } from "../scan-status";

export function LatestScan({ scan: listed }: { scan: DiscoveryScan }) {
  const scanQuery = useScan(listed);
  const scan = scanQuery.data;
  const cancel = useCancelScan(scan.site_id);
  const mayCancel = useCan("run_commands");

  if (!isScanActive(scan)) {
    return (
      <div className="grid gap-1 text-sm" data-testid="scan-outcome" data-status={scan.status}>
        <p className={scan.status === "failed" ? "font-medium text-destructive" : "font-medium"} data-testid="scan-outcome-text">
          {scanOutcome(scan)}
        </p>
        <p className="text-muted-foreground">
          Last scan of {scan.ranges.join(", ")} from {scan.agent_hostname}, finished <RelativeTime value={scan.finished_at} />.
        </p>
      </div>
    );
  }

  const percent = scanPercent(scan);
  return (
    <div className="grid gap-2" data-testid="scan-progress" data-status={scan.status}>
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <span className="font-medium" data-testid="scan-progress-status">
          {scan.status === "queued"
            ? `Queued: waiting for the agent to connect (${scan.agent_hostname})`
            : `Scanning ${scan.ranges.join(", ")} from ${scan.agent_hostname}`}
        </span>
        {mayCancel ? (
          <Button variant="outline" size="sm" disabled={cancel.isPending} onClick={() => cancel.mutate(scan.id)} data-testid="scan-cancel">
            <XIcon /> Cancel scan
          </Button>
        ) : null}
      </div>
      <Progress value={percent} usage={false} aria-label="Scan progress" aria-valuetext={`${percent}%`} />
      <p className="text-sm text-muted-foreground" data-testid="scan-progress-counts">
        {scan.done.toLocaleString("en-US")} of {scan.total.toLocaleString("en-US")} addresses · {scan.hosts_found} host
        {scan.hosts_found === 1 ? "" : "s"} found
      </p>
      {cancel.isError ? (
        <p role="alert" className="text-sm text-destructive" data-testid="scan-cancel-error">
          {errorMessage(cancel.error)}
        </p>
      ) : null}
    </div>
  );
}
