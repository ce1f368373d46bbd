import { Link } from "@tanstack/react-router";
import { ArrowDownIcon, CircleAlertIcon, ClockIcon, SquareIcon } from "lucide-react";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { Command } from "@/api/types";
import { errorMessage } from "@/api/errors";
import { CopyButton } from "@/components/copy-button";
import { ErrorMessage } from "@/components/error-message";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { useCan } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { cn } from "@/lib/utils";
import { useCancelCommand, useCommand } from "../api/commands";
import { COMMAND_TYPE_LABELS, commandDurationMs, commandSummary, formatCommandDuration, isFinalStatus } from "../command-status";
import { useOutputTranscript } from "../hooks/use-output-transcript";
import { interleavedOutput, type OutputSegment } from "../output-transcript";
import { CommandEnvironment } from "./command-environment";
import { CommandStatusBadge } from "./command-status-badge";

/** How close to the bottom (in pixels) still counts as "following" the output. */
const FOLLOW_SLACK_PX = 24;

/** One command's status and its output in a terminal-style pane, live while it runs. */
export function CommandTerminal({ commandId, agentOnline, className }: { commandId: string; agentOnline?: boolean; className?: string }) {
  const command = useCommand(commandId);
  if (command.isPending) return <Skeleton className={cn("h-72", className)} />;
  if (command.isError) return <ErrorMessage error={command.error} onRetry={() => void command.refetch()} className={className} />;
  return <CommandTerminalView command={command.data} agentOnline={agentOnline} className={className} />;
}

export function CommandTerminalView({ command, agentOnline, className }: { command: Command; agentOnline?: boolean; className?: string }) {
  const final = isFinalStatus(command.status);
  const transcript = useOutputTranscript(command.id);
  return (
    <div className={cn("grid min-w-0 gap-2", className)} data-testid="command-terminal" data-command-id={command.id}>
      <TerminalHeader command={command} />
      <StateNotes command={command} agentOnline={agentOnline} />
      <OutputPane command={command} final={final} segments={interleavedOutput(transcript, command)} />
    </div>
  );
}

function TerminalHeader({ command }: { command: Command }) {
  const mayMutate = useCan("run_commands");
  const cancel = useCancelCommand();
  const final = isFinalStatus(command.status);
  const duration = useLiveDuration(command);
  return (
    <div className="grid gap-1">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs">
        <CommandStatusBadge status={command.status} />
        <span className="text-muted-foreground">{COMMAND_TYPE_LABELS[command.command_type] ?? command.command_type}</span>
        <span className="flex items-center gap-1 tabular-nums" title="Duration">
          <ClockIcon className="size-3 text-muted-foreground" aria-hidden />
          <span data-testid="command-duration">{formatCommandDuration(duration)}</span>
        </span>
        {command.exit_code !== null && command.exit_code !== undefined ? (
          <span className="tabular-nums">
            <span className="text-muted-foreground">exit </span>
            <span
              data-testid="command-exit-code"
              className={cn("font-mono font-semibold", command.exit_code === 0 ? "text-success" : "text-destructive")}
            >
              {command.exit_code}
            </span>
          </span>
        ) : null}
        <span className="text-muted-foreground">
          by {command.created_by_email}, <RelativeTime value={command.created_at} />
        </span>
        <span className="ml-auto flex items-center gap-2">
          {mayMutate && !final ? (
            <Button
              variant="outline"
              size="sm"
              disabled={command.cancel_requested || cancel.isPending}
              onClick={() => cancel.mutate(command.id)}
              data-testid="cancel-command-button"
            >
              <SquareIcon className="fill-current" /> {command.cancel_requested ? "Cancelling…" : "Cancel"}
            </Button>
          ) : null}
          <CopyButton text={[command.stdout, command.stderr].filter(Boolean).join("\n")} label="Copy output" />
        </span>
      </div>
      {cancel.isError ? (
        <p role="alert" className="text-xs text-destructive" data-testid="cancel-error">
          {errorMessage(cancel.error)}
        </p>
      ) : null}
      {command.script ? (
        // A library script is named, with the job it came from, rather than shown as code.
        <div className="flex min-w-0 items-center gap-2 text-xs text-muted-foreground" data-testid="terminal-script">
          <span className="shrink-0">Script</span>
          {command.script.name ? (
            <Link
              to="/scripts/$scriptId"
              params={{ scriptId: command.script.id }}
              className="truncate font-medium text-foreground hover:underline"
            >
              {command.script.name} v{command.script.version}
            </Link>
          ) : (
            <span className="truncate">deleted script v{command.script.version}</span>
          )}
          {command.args.length > 0 ? <code className="truncate font-mono">{command.args.join(" ")}</code> : null}
          {command.job_id ? (
            <Link to="/jobs/$jobId" params={{ jobId: command.job_id }} className="shrink-0 hover:text-foreground hover:underline">
              job
            </Link>
          ) : null}
        </div>
      ) : (
        <code className="block truncate font-mono text-xs text-muted-foreground" title={command.command}>
          {command.command_type === "script" && command.interpreter ? `${command.interpreter} ‹script› ` : null}
          {commandSummary(command)}
          {command.args.length > 0 ? ` ${command.args.join(" ")}` : null}
        </code>
      )}
      <CommandEnvironment command={command} />
    </div>
  );
}

function StateNotes({ command, agentOnline }: { command: Command; agentOnline?: boolean }) {
  const notes: { text: string; tone: "muted" | "warning" | "error"; testId: string }[] = [];
  if (command.status === "queued") {
    notes.push(
      agentOnline === false
        ? {
            text: `Queued: the agent is offline; the command runs when it reconnects (expires ${formatDateTime(command.expires_at)}).`,
            tone: "warning",
            testId: "queued-offline-hint",
          }
        : { text: "Queued: waiting for the agent to start it…", tone: "muted", testId: "queued-hint" },
    );
  }
  if (command.error) notes.push({ text: command.error, tone: command.status === "failed" ? "error" : "warning", testId: "command-error" });
  if (command.stdout_truncated || command.stderr_truncated) {
    const streams = [command.stdout_truncated ? "stdout" : null, command.stderr_truncated ? "stderr" : null].filter(Boolean).join(" and ");
    notes.push({
      text: `Output truncated: ${streams} went over the server's limit; the end is missing.`,
      tone: "warning",
      testId: "output-truncated",
    });
  }
  if (notes.length === 0) return null;
  return (
    <ul className="grid gap-1">
      {notes.map((note) => (
        <li
          key={note.testId}
          data-testid={note.testId}
          className={cn(
            "flex items-start gap-1.5 rounded-md px-2 py-1 text-xs",
            note.tone === "muted" && "bg-muted text-muted-foreground",
            note.tone === "warning" && "bg-warning/15 text-amber-800 dark:text-warning",
            note.tone === "error" && "bg-destructive/10 text-destructive",
          )}
        >
          <CircleAlertIcon className="mt-px size-3.5 shrink-0" aria-hidden />
          <span>{note.text}</span>
        </li>
      ))}
    </ul>
  );
}

function OutputPane({ command, final, segments }: { command: Command; final: boolean; segments: OutputSegment[] | null }) {
  const paneRef = useRef<HTMLPreElement>(null);
  const [following, setFollowing] = useState(true);

  // Stay at the bottom as output grows, unless the user scrolled up to read.
  useLayoutEffect(() => {
    const pane = paneRef.current;
    if (pane && following) pane.scrollTop = pane.scrollHeight;
  }, [command.stdout, command.stderr, following]);

  const empty = command.stdout === "" && command.stderr === "";
  return (
    <div className="relative">
      <pre
        ref={paneRef}
        data-testid="command-output"
        aria-label="Command output"
        aria-live="polite"
        tabIndex={0}
        onScroll={(event) => {
          const pane = event.currentTarget;
          setFollowing(pane.scrollHeight - pane.scrollTop - pane.clientHeight <= FOLLOW_SLACK_PX);
        }}
        className="h-72 overflow-auto rounded-md border border-zinc-800 bg-zinc-950 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap break-all text-zinc-100 outline-none focus-visible:ring-2 focus-visible:ring-ring/60"
      >
        {empty ? (
          <span className="text-zinc-500 italic">
            {final ? "(no output)" : command.status === "queued" ? "Not started yet." : "Waiting for output…"}
          </span>
        ) : segments ? (
          segments.map((segment, index) => <StreamText key={index} stream={segment.stream} text={segment.text} />)
        ) : (
          <>
            <StreamText stream="stdout" text={command.stdout} />
            {command.stderr !== "" ? (
              <>
                {command.stdout !== "" && !command.stdout.endsWith("\n") ? "\n" : null}
                <StreamText stream="stderr" text={command.stderr} />
              </>
            ) : null}
          </>
        )}
        {!final && !empty ? (
          <span className="ml-0.5 inline-block h-3.5 w-1.5 translate-y-0.5 animate-pulse bg-zinc-400" aria-hidden />
        ) : null}
      </pre>
      {!following ? (
        <Button
          size="sm"
          variant="secondary"
          className="absolute right-3 bottom-3 shadow"
          onClick={() => {
            const pane = paneRef.current;
            if (pane) pane.scrollTop = pane.scrollHeight;
            setFollowing(true);
          }}
        >
          <ArrowDownIcon /> Follow output
        </Button>
      ) : null}
    </div>
  );
}

function StreamText({ stream, text }: { stream: OutputSegment["stream"]; text: string }) {
  return (
    <span data-stream={stream} className={stream === "stderr" ? "text-red-400" : undefined}>
      {text}
    </span>
  );
}

/** The duration, ticking every second while the command runs. */
function useLiveDuration(command: Command): number | null {
  const running = command.started_at !== null && command.started_at !== undefined && !command.finished_at;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return commandDurationMs(command, now);
}
