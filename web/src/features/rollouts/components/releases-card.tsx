//! The agent builds the server hands out (its releases directory), newest first, and a warning when
//! the directory or its signed key statement is missing: without them no agent updates.
import { AlertTriangleIcon, PackageIcon } from "lucide-react";
import { useState } from "react";
import type { AgentRelease, AgentReleaseList } from "@/api/types";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { SectionCard } from "@/components/section-card";
import { Badge } from "@/components/ui/badge";
import { Switch } from "@/components/ui/switch";
import { useNow } from "@/hooks/use-now";
import { formatBytes, formatDateTime } from "@/lib/format";
import { useAgentReleases } from "../api/rollouts";
import { AGENT_PRODUCT, compareVersions, RELEASE_CHANNEL_LABELS } from "../rollout-form";

/** What is missing for agents to update, or nothing when the directory and its keys are there. */
export function ReleasesBanner({ releases }: { releases: AgentReleaseList | undefined }) {
  if (!releases || (releases.configured && releases.keys_present)) return null;
  return (
    <div
      role="status"
      className="flex items-start gap-2 rounded-md border border-warning/40 bg-warning/10 px-3 py-2 text-sm"
      data-testid="releases-banner"
      data-problem={releases.configured ? "keys" : "directory"}
    >
      <AlertTriangleIcon className="mt-0.5 size-4 shrink-0 text-amber-700 dark:text-warning" aria-hidden />
      {releases.configured ? (
        <p>
          <span className="font-medium">The releases directory has no signed key statement.</span> Agents trust no release until{" "}
          <code>keys.json</code> and <code>keys.json.minisig</code> (made offline with <code>gururmm-release certify</code>) are copied
          there. See “Releasing” in <code>docs/updates.md</code>.
        </p>
      ) : (
        <p>
          <span className="font-medium">This server has no releases directory.</span> Agents cannot update and no rollout can start until{" "}
          <code>GURURMM_RELEASES_DIR</code> names the directory where releases signed with <code>gururmm-release sign</code> are copied (see{" "}
          <code>docs/updates.md</code>), and the server is restarted.
        </p>
      )}
    </div>
  );
}

/** What a build of another product than the agent is, under its version. */
const PRODUCT_LABELS: Record<string, string> = { "gururmm-watchdog": "watchdog", "gururmm-agent-deb": "Debian package" };

export function ReleasesCard() {
  const releases = useAgentReleases();
  const [showWatchdog, setShowWatchdog] = useState(false);
  const now = useNow(60_000);
  const items = (releases.data?.items ?? [])
    .filter((release) => showWatchdog || release.product === AGENT_PRODUCT)
    // The agent first, then its watchdog; each newest first.
    .sort((a, b) => Number(b.product === AGENT_PRODUCT) - Number(a.product === AGENT_PRODUCT) || compareVersions(b.version, a.version));
  const list = { ...releases, data: releases.data ? { items, total: items.length, per_page: 0 } : undefined };
  return (
    <SectionCard
      title={
        <>
          <PackageIcon className="size-4" aria-hidden /> Releases
        </>
      }
      description="The signed agent builds this server hands out. A version with a pre-release part (1.3.0-beta.1) is a beta."
      actions={
        <label className="flex items-center gap-2 text-xs text-muted-foreground">
          <Switch checked={showWatchdog} onCheckedChange={setShowWatchdog} data-testid="show-watchdog-releases" />
          Watchdog builds and packages
        </label>
      }
      data-testid="releases-card"
    >
      <DataTable
        query={list}
        columns={releaseColumns(now)}
        rowKey={(release) => release.file}
        rowProps={(release) => ({ "data-testid": "release-row", "data-version": release.version, "data-product": release.product })}
        testId="releases-table"
        loadingClassName="h-24"
        empty={
          <EmptyState icon={PackageIcon} title="No agent release published" data-testid="releases-empty">
            Sign a build with <code>gururmm-release sign</code> and copy it into the releases directory (<code>docs/updates.md</code>); it
            shows here within a minute.
          </EmptyState>
        }
      />
    </SectionCard>
  );
}

function releaseColumns(now: number): DataColumn<AgentRelease>[] {
  return [
    {
      header: "Version",
      // Versions are short but must show whole: 1.3.0-beta.1 and 1.3.0-beta.2 differ at the end.
      headerClassName: "min-w-36",
      className: "whitespace-nowrap",
      cell: (release) => (
        <div className="grid">
          <span className="font-medium tabular-nums">{release.version}</span>
          {release.product === AGENT_PRODUCT ? null : (
            <span className="text-xs text-muted-foreground">{PRODUCT_LABELS[release.product] ?? release.product}</span>
          )}
        </div>
      ),
    },
    {
      header: "Channel",
      headerClassName: "w-24",
      cell: (release) => (
        <Badge variant={release.channel === "beta" ? "warning" : "secondary"} data-testid="release-channel">
          {RELEASE_CHANNEL_LABELS[release.channel]}
        </Badge>
      ),
    },
    { header: "Platform", fill: true, className: "truncate", cell: (release) => `${release.platform} / ${release.arch}` },
    { header: "Size", headerClassName: "w-24", className: "tabular-nums", cell: (release) => formatBytes(release.size) },
    {
      header: "Released",
      headerClassName: "w-44",
      className: "text-xs tabular-nums",
      cell: (release) => formatDateTime(release.released_at),
    },
    {
      header: "Expires",
      headerClassName: "w-44",
      className: "text-xs tabular-nums",
      cell: (release) =>
        Date.parse(release.expires_at) <= now ? (
          <Badge variant="destructive" title={formatDateTime(release.expires_at)}>
            Expired
          </Badge>
        ) : (
          formatDateTime(release.expires_at)
        ),
    },
  ];
}
