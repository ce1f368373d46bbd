//! "Agent updates" on the agent page: the version the agent runs against the newest signed release
//! published for its platform, "Update now" (with `manage_agents`) to a chosen newer release, the
//! latest attempt's progress (read again every few seconds while under way), and the history of
//! attempts and of what the agent's watchdog reported (restarts, installs, rollbacks).
import { CheckIcon, DownloadIcon, PackageIcon } from "lucide-react";
import { useId, useState, type ComponentProps, type FormEvent } from "react";
import type { AgentDetail, AgentRelease, AgentReleaseList, AgentUpdate, AgentWatchdogEvent } from "@/api/types";
import { errorMessage } from "@/api/errors";
import { RowsTable, type DataColumn } from "@/components/data-table";
import { ErrorMessage } from "@/components/error-message";
import { RelativeTime } from "@/components/relative-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { useNow } from "@/hooks/use-now";
import { useCan } from "@/lib/auth";
import { formatBytes, formatDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";
import { useAgentReleases, useAgentUpdates, useRequestAgentUpdate } from "../api/updates";
import { isNewerVersion, preferredChoice, releasesFor, updateChoices, type UpdateTarget } from "../releases";
import {
  isUpdateUnderWay,
  requestedBy,
  targetLabel,
  UPDATE_STATE_LABELS,
  UPDATE_STATE_VARIANTS,
  UPDATE_STEPS,
  updateProgress,
  updateReason,
  WATCHDOG_EVENT_LABELS,
  WATCHDOG_EVENT_VARIANTS,
} from "../update-wording";

/** Rows of each history table shown before "Show all". */
const HISTORY_ROWS = 5;

export function AgentUpdatesCard({ agent }: { agent: AgentDetail }) {
  const ids = useId();
  const mayUpdate = useCan("manage_agents");
  // The release list holds no client's data: users limited to some clients read it too, and update
  // their own agents when their role allows.
  const updates = useAgentUpdates(agent.id);
  const releases = useAgentReleases();
  const now = useNow(60_000);
  const target: UpdateTarget = { platform: agent.os.family, arch: agent.arch, agentVersion: agent.agent_version };
  const latest = updates.data?.updates[0];
  const underWay = latest && isUpdateUnderWay(latest.state) ? latest : null;
  const choices = releases.data?.keys_present ? updateChoices(releases.data.items, target, now) : [];

  return (
    <Card role="region" aria-labelledby={`${ids}-title`} data-testid="agent-updates-card">
      <CardHeader>
        <CardTitle id={`${ids}-title`} className="flex items-center gap-2">
          <PackageIcon className="size-4 text-muted-foreground" aria-hidden /> Agent updates
        </CardTitle>
        {mayUpdate ? <UpdateNowControl agent={agent} choices={choices} underWay={underWay} releasesLoaded={releases.isSuccess} /> : null}
      </CardHeader>
      <CardContent className="grid gap-4">
        <dl className="grid gap-2 text-sm sm:grid-cols-[8rem_minmax(0,1fr)]">
          <dt className="text-muted-foreground">Installed</dt>
          <dd data-testid="agent-updates-installed">
            <span className="font-medium tabular-nums">{agent.agent_version}</span>{" "}
            <span className="text-muted-foreground">({targetLabel(target.platform, target.arch)})</span>
          </dd>
          <dt className="text-muted-foreground">Newest release</dt>
          <dd data-testid="agent-updates-newest">
            {releases.isPending ? (
              <Skeleton className="h-5 w-48" />
            ) : releases.isError ? (
              <ErrorMessage error={releases.error} onRetry={() => void releases.refetch()} />
            ) : (
              <NewestRelease list={releases.data} target={target} now={now} />
            )}
          </dd>
        </dl>
        {updates.isPending ? (
          <Skeleton className="h-24" />
        ) : updates.isError ? (
          <ErrorMessage error={updates.error} onRetry={() => void updates.refetch()} />
        ) : (
          <>
            {latest ? <LatestAttempt update={latest} agentOnline={agent.status === "online"} /> : null}
            <AttemptHistory updates={updates.data.updates} />
            <WatchdogHistory events={updates.data.watchdog_events} />
          </>
        )}
      </CardContent>
    </Card>
  );
}

/** The newest stable release for the agent's platform, whether it is newer, and a newer beta if any. */
function NewestRelease({ list, target, now }: { list: AgentReleaseList; target: UpdateTarget; now: number }) {
  if (!list.configured)
    return (
      <span className="text-muted-foreground">
        This server publishes no agent releases: it has no releases directory (GURURMM_RELEASES_DIR, see docs/updates.md).
      </span>
    );
  const published = releasesFor(list.items, target, now);
  const stable = published.find((release) => release.channel === "stable");
  const beta = published.find((release) => release.channel === "beta");
  const newerBeta = beta && (!stable || isNewerVersion(beta.version, stable.version)) ? beta : null;
  return (
    <div className="grid gap-1">
      {stable ? (
        <ReleaseLine release={stable} newer={isNewerVersion(stable.version, target.agentVersion)} />
      ) : (
        <span className="text-muted-foreground">No stable release for {targetLabel(target.platform, target.arch)} is published.</span>
      )}
      {newerBeta ? <ReleaseLine release={newerBeta} newer={isNewerVersion(newerBeta.version, target.agentVersion)} /> : null}
      {list.keys_present ? null : (
        <p role="alert" className="text-xs text-warning">
          The releases directory has no signed key statement (keys.json and its signature): agents refuse every release until it is
          published with gururmm-release.
        </p>
      )}
    </div>
  );
}

function ReleaseLine({ release, newer }: { release: AgentRelease; newer: boolean }) {
  return (
    <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
      <span className="font-medium tabular-nums">{release.version}</span>
      <Badge variant="outline">{release.channel}</Badge>
      <span className="text-xs text-muted-foreground">
        released <RelativeTime value={release.released_at} /> · {formatBytes(release.size)}
      </span>
      {newer ? (
        <Badge variant="info">Newer than installed</Badge>
      ) : (
        <Badge variant="success">
          <CheckIcon aria-hidden /> Up to date
        </Badge>
      )}
    </span>
  );
}

/** "Update now", or why it cannot be used now. */
function UpdateNowControl({
  agent,
  choices,
  underWay,
  releasesLoaded,
}: {
  agent: AgentDetail;
  choices: AgentRelease[];
  underWay: AgentUpdate | null;
  releasesLoaded: boolean;
}) {
  const reasonId = useId();
  const reason = underWay
    ? `An update to ${underWay.version} is under way.`
    : releasesLoaded && choices.length === 0
      ? "No published release is newer."
      : null;
  if (reason || !releasesLoaded)
    return (
      <span className="flex items-center gap-2">
        {reason ? (
          <span id={reasonId} className="text-xs text-muted-foreground">
            {reason}
          </span>
        ) : null}
        <Button size="sm" disabled aria-describedby={reason ? reasonId : undefined}>
          <DownloadIcon /> Update now
        </Button>
      </span>
    );
  return <UpdateNowDialog agent={agent} choices={choices} />;
}

/** The version picker and the confirmation; the server's refusal (409, 422) stays in the dialog. */
function UpdateNowDialog({ agent, choices }: { agent: AgentDetail; choices: AgentRelease[] }) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [version, setVersion] = useState(() => preferredChoice(choices)?.version ?? "");
  const request = useRequestAgentUpdate(agent.id);
  const chosen = choices.find((release) => release.version === version);
  const name = agent.alias || agent.hostname;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!chosen) return;
    request.mutate(chosen.version, { onSuccess: () => setOpen(false) });
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) {
          setVersion(preferredChoice(choices)?.version ?? "");
          request.reset();
        }
      }}
    >
      <DialogTrigger asChild>
        <Button size="sm">
          <DownloadIcon /> Update now
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form noValidate aria-label="Update the agent" className="grid gap-4" onSubmit={submit}>
          <DialogHeader>
            <DialogTitle>Update {name}</DialogTitle>
            <DialogDescription>
              It runs {agent.agent_version}. The agent checks the release&apos;s signatures against the keys built into it, downloads it and
              runs its self-check; its watchdog then swaps it in and restarts the agent. If the new version does not report healthy in time,
              the watchdog restores {agent.agent_version}.
            </DialogDescription>
          </DialogHeader>
          <div className="grid gap-1.5">
            <Label htmlFor={`${ids}-version`}>Version</Label>
            <Select value={version} onValueChange={setVersion}>
              <SelectTrigger id={`${ids}-version`} className="w-full">
                <SelectValue placeholder="Choose a release" />
              </SelectTrigger>
              <SelectContent>
                {choices.map((release) => (
                  <SelectItem key={release.version} value={release.version}>
                    {release.version} ({release.channel}, released {formatDateTime(release.released_at)})
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            {chosen?.channel === "beta" ? (
              <p className="text-xs text-warning">A beta release is for trying out; prefer a stable release on computers people rely on.</p>
            ) : null}
          </div>
          {agent.status === "online" ? null : (
            <p className="text-sm text-muted-foreground" data-testid="update-offline-note">
              {name} is offline: it gets the update when it connects.
            </p>
          )}
          {request.isError ? (
            <p role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
              {errorMessage(request.error)}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => setOpen(false)} disabled={request.isPending}>
              Cancel
            </Button>
            <Button type="submit" disabled={!chosen || request.isPending}>
              {request.isPending ? "Requesting…" : chosen ? `Update to ${chosen.version}` : "Update"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

/** The newest attempt: its steps while under way or done, else what went wrong in words. */
function LatestAttempt({ update, agentOnline }: { update: AgentUpdate; agentOnline: boolean }) {
  const open = isUpdateUnderWay(update.state);
  const wentWrong = update.state === "refused" || update.state === "failed" || update.state === "rolled_back";
  const reason = updateReason(update.code);
  return (
    <section
      aria-label={open ? "Update under way" : "Latest update"}
      className={cn("grid gap-2 rounded-md border p-3", wentWrong && "border-destructive/40 bg-destructive/5")}
      data-testid="agent-updates-latest"
    >
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium">
          {update.from_version} → {update.version}
        </span>
        <Badge variant={UPDATE_STATE_VARIANTS[update.state]}>{UPDATE_STATE_LABELS[update.state]}</Badge>
        <span className="text-xs text-muted-foreground">
          requested by {requestedBy(update)} <RelativeTime value={update.created_at} />
          {update.updated_at !== update.created_at ? (
            <>
              , last report <RelativeTime value={update.updated_at} />
            </>
          ) : null}
        </span>
      </div>
      {wentWrong ? null : <UpdateSteps update={update} />}
      <p role={open ? "status" : undefined} className="text-sm" data-testid="agent-updates-progress">
        {updateProgress(update, agentOnline)}
      </p>
      {reason ? (
        <p className="text-sm font-medium text-destructive" data-testid="agent-updates-reason">
          {reason}
        </p>
      ) : null}
      {update.detail ? <p className="text-xs break-words text-muted-foreground">Reported: {update.detail}</p> : null}
    </section>
  );
}

/** Offered → Downloading → Staged, restarting → Installed, with the steps done ticked. */
function UpdateSteps({ update }: { update: AgentUpdate }) {
  const reached = UPDATE_STEPS.indexOf(update.state as (typeof UPDATE_STEPS)[number]);
  return (
    <ol aria-label="Update steps" className="flex flex-wrap items-center gap-1.5 text-xs">
      {UPDATE_STEPS.map((step, index) => {
        const done = index < reached || update.state === "installed";
        const current = index === reached && update.state !== "installed";
        return (
          <li key={step} className="flex items-center gap-1.5" aria-current={current ? "step" : undefined}>
            {index > 0 ? (
              <span aria-hidden className="text-muted-foreground">
                →
              </span>
            ) : null}
            <span
              className={cn(
                "rounded px-1.5 py-0.5",
                done && "bg-success/15 text-success",
                current && "bg-primary/15 font-medium text-primary",
                !done && !current && "text-muted-foreground",
              )}
            >
              {UPDATE_STATE_LABELS[step]}
              {current ? "…" : null}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

/** A history table's first rows, and the button that shows the rest. */
function HistorySection<T>({
  title,
  rows,
  empty,
  ...table
}: {
  title: string;
  rows: T[];
  empty: string;
} & Pick<ComponentProps<typeof RowsTable<T>>, "columns" | "rowKey" | "rowProps" | "testId">) {
  const [all, setAll] = useState(false);
  return (
    <section aria-label={title} className="grid gap-1">
      <h4 className="text-xs font-medium text-muted-foreground">{title}</h4>
      {rows.length === 0 ? (
        <p className="text-sm text-muted-foreground">{empty}</p>
      ) : (
        <>
          <RowsTable rows={all ? rows : rows.slice(0, HISTORY_ROWS)} {...table} />
          {rows.length > HISTORY_ROWS ? (
            <Button variant="link" size="sm" className="h-auto justify-self-start p-0 text-xs" onClick={() => setAll(!all)}>
              {all ? "Show fewer" : `Show all ${rows.length}`}
            </Button>
          ) : null}
        </>
      )}
    </section>
  );
}

/** A sentence cut to two lines, whole on hover. */
function Clamped({ text, title }: { text: string; title?: string }) {
  return (
    <span className="line-clamp-2" title={title || text || undefined}>
      {text || "—"}
    </span>
  );
}

const ATTEMPT_COLUMNS: DataColumn<AgentUpdate>[] = [
  { header: "Version", className: "tabular-nums whitespace-nowrap", cell: (update) => `${update.from_version} → ${update.version}` },
  {
    header: "State",
    cell: (update) => <Badge variant={UPDATE_STATE_VARIANTS[update.state]}>{UPDATE_STATE_LABELS[update.state]}</Badge>,
  },
  {
    header: "Reason",
    className: "max-w-96 text-xs",
    cell: (update) => <Clamped text={updateReason(update.code) ?? update.detail} title={update.detail} />,
  },
  { header: "Requested by", className: "text-xs", cell: requestedBy },
  { header: "When", className: "text-xs whitespace-nowrap", cell: (update) => <RelativeTime value={update.created_at} /> },
];

const WATCHDOG_COLUMNS: DataColumn<AgentWatchdogEvent>[] = [
  { header: "Event", cell: (event) => <Badge variant={WATCHDOG_EVENT_VARIANTS[event.kind]}>{WATCHDOG_EVENT_LABELS[event.kind]}</Badge> },
  { header: "Version", className: "tabular-nums", cell: (event) => event.version ?? "—" },
  { header: "Detail", className: "max-w-96 text-xs", cell: (event) => <Clamped text={event.detail} /> },
  { header: "When", className: "text-xs whitespace-nowrap", cell: (event) => <RelativeTime value={event.at} /> },
];

function AttemptHistory({ updates }: { updates: AgentUpdate[] }) {
  return (
    <HistorySection
      title="Update attempts"
      rows={updates}
      empty="No update has been requested for this agent."
      columns={ATTEMPT_COLUMNS}
      rowKey={(update) => update.id}
      rowProps={() => ({ "data-testid": "agent-update-row" })}
      testId="agent-update-attempts"
    />
  );
}

function WatchdogHistory({ events }: { events: AgentWatchdogEvent[] }) {
  return (
    <HistorySection
      title="Watchdog events"
      rows={events}
      empty="The watchdog has reported nothing: no restarts, installs or rollbacks."
      columns={WATCHDOG_COLUMNS}
      // Events have no id; the server keeps one of each event the agent sends again.
      rowKey={(event) => `${event.at}|${event.kind}|${event.version ?? ""}|${event.received_at}`}
      rowProps={() => ({ "data-testid": "watchdog-event-row" })}
      testId="agent-watchdog-events"
    />
  );
}
