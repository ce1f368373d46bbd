//! The home page: the fleet at a glance. Agents online and offline, unresolved alerts by severity
//! and by client, and checks by state; every number leads to the list it counts.
import { Link } from "@tanstack/react-router";
import { ActivityIcon, BellIcon, BuildingIcon, MonitorIcon, type LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import type { ClientAlerts, Overview, SeverityCounts } from "@/api/types";
import { EmptyState } from "@/components/empty-state";
import { ErrorMessage } from "@/components/error-message";
import { SeverityBadge } from "@/components/monitoring-badges";
import { PageHeader } from "@/components/page-header";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { SEVERITIES, SEVERITY_LABELS } from "@/lib/monitoring";
import { cn } from "@/lib/utils";
import { useOverview } from "../api/overview";

export function OverviewPage() {
  useDocumentTitle("Overview");
  const overview = useOverview();
  return (
    <div className="grid gap-4">
      <PageHeader title="Overview" description="The fleet right now: who is down, what is failing, and where." />
      {overview.isError ? <ErrorMessage error={overview.error} onRetry={() => void overview.refetch()} /> : null}
      {overview.isPending ? <Skeleton className="h-80" /> : overview.data ? <OverviewContent overview={overview.data} /> : null}
    </div>
  );
}

/** All unresolved alerts of a severity count. */
export function totalAlerts(counts: SeverityCounts): number {
  return counts.critical + counts.warning + counts.info;
}

function OverviewContent({ overview }: { overview: Overview }) {
  const alertsTotal = totalAlerts(overview.alerts);
  return (
    <>
      <div className="grid gap-3 md:grid-cols-3">
        <CountsCard icon={MonitorIcon} title="Agents" testId="overview-agents">
          <Link to="/agents" className={COUNT_LINK_CLASS} data-testid="overview-agents-total" data-count={overview.agents_total}>
            <CountBody label="Total" value={overview.agents_total} />
          </Link>
          <Link
            to="/agents"
            search={{ status: "online" }}
            className={COUNT_LINK_CLASS}
            data-testid="overview-agents-online"
            data-count={overview.agents_online}
          >
            <CountBody label="Online" value={overview.agents_online} tone="success" />
          </Link>
          <Link
            to="/agents"
            search={{ status: "offline" }}
            className={COUNT_LINK_CLASS}
            data-testid="overview-agents-offline"
            data-count={overview.agents_offline}
          >
            <CountBody label="Offline" value={overview.agents_offline} tone={overview.agents_offline > 0 ? "destructive" : undefined} />
          </Link>
        </CountsCard>
        <CountsCard
          icon={BellIcon}
          title="Unresolved alerts"
          testId="overview-alerts"
          aside={
            <Link to="/alerts" className="ml-auto text-xs font-normal text-primary hover:underline" data-testid="overview-alerts-total">
              {alertsTotal} in all
            </Link>
          }
        >
          {SEVERITIES.map((severity) => (
            <Link
              key={severity}
              to="/alerts"
              search={{ severity }}
              className={COUNT_LINK_CLASS}
              data-testid={`overview-alerts-${severity}`}
              data-count={overview.alerts[severity]}
            >
              <CountBody
                label={SEVERITY_LABELS[severity]}
                value={overview.alerts[severity]}
                tone={overview.alerts[severity] > 0 ? SEVERITY_TONE[severity] : undefined}
              />
            </Link>
          ))}
        </CountsCard>
        <CountsCard icon={ActivityIcon} title="Checks" testId="overview-checks">
          <Link
            to="/checks"
            search={{ state: "failing" }}
            className={COUNT_LINK_CLASS}
            data-testid="overview-checks-failing"
            data-count={overview.checks.failing}
          >
            <CountBody label="Failing" value={overview.checks.failing} tone={overview.checks.failing > 0 ? "destructive" : undefined} />
          </Link>
          <Link
            to="/checks"
            search={{ state: "warning" }}
            className={COUNT_LINK_CLASS}
            data-testid="overview-checks-warning"
            data-count={overview.checks.warning}
          >
            <CountBody label="Warning" value={overview.checks.warning} tone={overview.checks.warning > 0 ? "warning" : undefined} />
          </Link>
          <Link
            to="/checks"
            search={{ state: "passing" }}
            className={COUNT_LINK_CLASS}
            data-testid="overview-checks-passing"
            data-count={overview.checks.passing}
          >
            <CountBody label="Passing" value={overview.checks.passing} tone="success" />
          </Link>
        </CountsCard>
      </div>
      <AlertsByClient rows={overview.alerts_by_client} />
    </>
  );
}

function CountsCard({
  icon: Icon,
  title,
  aside,
  testId,
  children,
}: {
  icon: LucideIcon;
  title: string;
  aside?: ReactNode;
  testId: string;
  children: ReactNode;
}) {
  return (
    <Card data-testid={testId}>
      <CardHeader>
        <CardTitle className="flex items-center gap-2 text-sm">
          <Icon className="size-4" aria-hidden /> {title}
          {aside}
        </CardTitle>
      </CardHeader>
      <CardContent className="grid grid-cols-3 gap-2">{children}</CardContent>
    </Card>
  );
}

const SEVERITY_TONE = { critical: "destructive", warning: "warning", info: "info" } as const;
const TONE_CLASS = {
  success: "text-success",
  destructive: "text-destructive",
  warning: "text-amber-600 dark:text-warning",
  info: "text-primary",
} as const;

const COUNT_CLASS = "grid rounded-md px-2 py-1";
const COUNT_LINK_CLASS = cn(COUNT_CLASS, "hover:bg-accent");

/** One number with its label. */
function CountBody({ label, value, tone }: { label: string; value: number; tone?: keyof typeof TONE_CLASS }) {
  return (
    <>
      <span className={cn("text-2xl font-semibold tabular-nums", tone && TONE_CLASS[tone])}>{value}</span>
      <span className="text-xs text-muted-foreground">{label}</span>
    </>
  );
}

function AlertsByClient({ rows }: { rows: ClientAlerts[] }) {
  return (
    <Card data-testid="overview-alerts-by-client">
      <CardHeader>
        <CardTitle className="flex items-center gap-2 text-sm">
          <BuildingIcon className="size-4" aria-hidden /> Unresolved alerts by client
        </CardTitle>
      </CardHeader>
      <CardContent>
        {rows.length === 0 ? (
          <EmptyState title="No client has an unresolved alert" className="py-6" />
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Client</TableHead>
                {SEVERITIES.map((severity) => (
                  <TableHead key={severity} className="w-28 text-right">
                    {SEVERITY_LABELS[severity]}
                  </TableHead>
                ))}
                <TableHead className="w-20 text-right">Total</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {rows.map((row) => (
                <TableRow key={row.client_id ?? "none"} data-testid="overview-client-row">
                  <TableCell className="font-medium">
                    {row.client_id ? (
                      <Link to="/alerts" search={{ client_id: row.client_id }} className="hover:underline">
                        {row.client_name ?? "Client"}
                      </Link>
                    ) : (
                      <span className="text-muted-foreground">No client</span>
                    )}
                  </TableCell>
                  {SEVERITIES.map((severity) => (
                    <TableCell key={severity} className="text-right tabular-nums">
                      {row.alerts[severity] > 0 ? (
                        <Link
                          to="/alerts"
                          search={row.client_id ? { client_id: row.client_id, severity } : { severity }}
                          className="inline-flex justify-end hover:underline"
                          aria-label={`${row.alerts[severity]} ${severity} alerts of ${row.client_name ?? "no client"}`}
                        >
                          <SeverityBadge severity={severity} />
                          <span className="ml-1">{row.alerts[severity]}</span>
                        </Link>
                      ) : (
                        <span className="text-muted-foreground">0</span>
                      )}
                    </TableCell>
                  ))}
                  <TableCell className="text-right font-medium tabular-nums">{totalAlerts(row.alerts)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
