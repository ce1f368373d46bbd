//! How a scan reads on the page: whether it is still going, how far, and how it ended.
import type { DiscoveryScan } from "@/api/types";

/** A queued scan waits for its agent to connect; a running one is being probed. Both are polled. */
export function isScanActive(scan: Pick<DiscoveryScan, "status">): boolean {
  return scan.status === "queued" || scan.status === "running";
}

/** The share of addresses probed as a whole percentage, for the progress bar. */
export function scanPercent(scan: Pick<DiscoveryScan, "progress">): number {
  return Math.max(0, Math.min(100, Math.round(scan.progress * 100)));
}

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? "" : "s"}`;
}

/** The one line an ended scan leaves: "Completed: 12 hosts, 2 new, 1 missing", or why it did not. */
export function scanOutcome(scan: Pick<DiscoveryScan, "status" | "hosts_found" | "new_devices" | "missing_devices" | "message">): string {
  const message = scan.message.trim();
  switch (scan.status) {
    case "completed":
      return `Completed: ${count(scan.hosts_found, "host")}, ${scan.new_devices} new, ${scan.missing_devices} missing`;
    case "cancelled":
      return message ? `Cancelled: ${message}` : "Cancelled";
    case "failed":
      return message ? `Failed: ${message}` : "Failed";
    case "queued":
      return "Waiting for the agent to connect";
    case "running":
      return "Running";
    default:
      return scan.status;
  }
}
