import { Link } from "@tanstack/react-router";
import { FileCodeIcon, HistoryIcon, PencilIcon, RotateCcwIcon, XIcon } from "lucide-react";
import { useState } from "react";
import type { Command } from "@/api/types";
import { CommandOutputDialog } from "@/components/command-output-dialog";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useCan } from "@/lib/auth";
import { exitCodeClass, formatRunDuration } from "@/lib/format";
import { changeListSearch } from "@/lib/search-params";
import { COMMANDS_PER_PAGE, useAgentCommands, useRerunCommand, useRunCommand } from "../api/commands";
import { commandToForm } from "../command-form";
import { COMMAND_HISTORY_PAGING, type CommandHistorySearch } from "../command-history-search";
import {
  COMMAND_STATUS_LABELS,
  COMMAND_STATUSES,
  COMMAND_TYPE_LABELS,
  commandFirstLine,
  commandSummary,
  type CommandStatus,
} from "../command-status";
import { CommandEnvironment } from "./command-environment";
import { CommandSpecForm } from "./command-spec-form";
import { CommandStatusBadge } from "./command-status-badge";
import { CommandTerminal } from "./command-terminal";
import { cn } from "@/lib/utils";

const ANY_STATUS = "__any__";

/**
 * The agent's commands, newest first; a row opens that command's output. A command from the script
 * library shows the script (name and version) and its job instead of its code, and any command can
 * be run again, or (not a script's) edited and run (not on a deleted agent: `allowRerun` false).
 */
export function CommandHistoryCard({
  agentId,
  agentOnline,
  search,
  onSearchChange,
  allowRerun = true,
}: {
  agentId: string;
  agentOnline: boolean;
  search: CommandHistorySearch;
  onSearchChange: (next: CommandHistorySearch) => void;
  allowRerun?: boolean;
}) {
  const commands = useAgentCommands(agentId, search);
  const mayMutate = useCan("run_commands");
  const change = (partial: Partial<CommandHistorySearch>) => onSearchChange(changeListSearch(search, partial, COMMAND_HISTORY_PAGING));
  const filtered = Boolean(search.cmd_q || search.cmd_status);
  const open = (commandId: string) => change({ command: commandId });

  return (
    <Card data-testid="command-history-card">
      <CardHeader className="flex-wrap">
        <CardTitle className="flex items-center gap-2">
          <HistoryIcon className="size-4 text-muted-foreground" aria-hidden /> Command history
          {commands.data ? <span className="font-normal text-muted-foreground tabular-nums">{commands.data.total}</span> : null}
        </CardTitle>
        <div className="flex flex-wrap items-center gap-2">
          <SearchInput
            label="Search commands"
            placeholder="Search command text…"
            value={search.cmd_q ?? ""}
            onChange={(q) => change({ cmd_q: q || undefined })}
            className="w-56"
          />
          <Select
            value={search.cmd_status ?? ANY_STATUS}
            onValueChange={(value) => change({ cmd_status: value === ANY_STATUS ? undefined : (value as CommandStatus) })}
          >
            <SelectTrigger aria-label="Filter commands by status" className="w-36">
              <SelectValue placeholder="Any status" />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value={ANY_STATUS}>Any status</SelectItem>
              {COMMAND_STATUSES.map((status) => (
                <SelectItem key={status} value={status}>
                  {COMMAND_STATUS_LABELS[status]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          {filtered ? (
            <Button variant="ghost" size="sm" onClick={() => change({ cmd_q: undefined, cmd_status: undefined })}>
              <XIcon /> Clear
            </Button>
          ) : null}
        </div>
      </CardHeader>
      <CardContent className="grid gap-2">
        <DataTable
          query={commands}
          columns={historyColumns(open, mayMutate && allowRerun)}
          rowKey={(command) => command.id}
          rowProps={(command) => ({
            "data-testid": "command-row",
            "data-command-id": command.id,
            "data-status": command.status,
            className: "cursor-pointer",
            onClick: () => open(command.id),
          })}
          testId="command-history-table"
          loadingClassName="h-24"
          dimmed={commands.isPlaceholderData}
          empty={
            <p className="py-3 text-sm text-muted-foreground" data-testid="command-history-empty">
              {filtered ? "No command matches these filters." : "No command has been run on this agent yet."}
            </p>
          }
          pagination={{
            page: search.cmd_page ?? 1,
            perPage: COMMANDS_PER_PAGE,
            onPageChange: (page) => change({ cmd_page: page }),
            onlyWhenSeveral: true,
          }}
        />
      </CardContent>
      <CommandOutputDialog
        commandId={search.command}
        title="Command output"
        description="Status and output of one command run on this agent."
        onClose={() => change({ command: undefined })}
      >
        {(commandId) => <CommandTerminal key={commandId} commandId={commandId} agentOnline={agentOnline} />}
      </CommandOutputDialog>
    </Card>
  );
}

function historyColumns(open: (commandId: string) => void, rerun: boolean): DataColumn<Command>[] {
  const columns: DataColumn<Command>[] = [
    { header: "Status", headerClassName: "w-28", cell: (command) => <CommandStatusBadge status={command.status} /> },
    {
      header: "Type",
      headerClassName: "w-24",
      className: "text-muted-foreground",
      cell: (command) => COMMAND_TYPE_LABELS[command.command_type] ?? command.command_type,
    },
    {
      header: "Command",
      fill: true,
      cell: (command) => <CommandCell command={command} onOpen={() => open(command.id)} />,
    },
    {
      header: "By",
      headerClassName: "w-44",
      className: "max-w-44 truncate text-muted-foreground",
      cellProps: (command) => ({ title: command.created_by_email }),
      cell: (command) => command.created_by_email,
    },
    {
      header: "Created",
      headerClassName: "w-28",
      className: "text-muted-foreground",
      cell: (command) => <RelativeTime value={command.created_at} />,
    },
    {
      header: "Duration",
      headerClassName: "w-20 text-right",
      className: "text-right tabular-nums text-muted-foreground",
      cell: formatRunDuration,
    },
    {
      header: "Exit",
      headerClassName: "w-12 text-right",
      cellProps: (command) => ({ className: exitCodeClass(command.exit_code) }),
      cell: (command) => command.exit_code ?? "–",
    },
  ];
  if (rerun) {
    columns.push({
      header: "Run again",
      headerContent: <span className="sr-only">Run again</span>,
      headerClassName: "w-18",
      cellProps: () => ({ onClick: (event) => event.stopPropagation() }),
      cell: (command) => (
        <span className="flex items-center justify-end">
          {/* The run form edits code; a script is edited in the library, a registry operation in the Registry card. */}
          {command.script || command.command_type === "registry" ? null : <EditAndRunButton command={command} onStarted={open} />}
          <RunAgainButton command={command} onStarted={open} />
        </span>
      ),
    });
  }
  return columns;
}

/** What ran: the script (linked, with its job) or the command's first line; either opens the output. */
function CommandCell({ command, onOpen }: { command: Command; onOpen: () => void }) {
  const script = command.script;
  // The button makes the row reachable by keyboard; the whole row is clickable with the mouse.
  const openButton = (label: string, title: string, className?: string) => (
    <button
      type="button"
      className={cn("truncate text-left hover:underline focus-visible:underline focus-visible:outline-none", className)}
      title={title}
      onClick={(event) => {
        event.stopPropagation();
        onOpen();
      }}
    >
      {label}
    </button>
  );
  if (!script) {
    return (
      <span className="flex min-w-0 items-center gap-2">
        {openButton(commandSummary(command), command.command, "block w-full font-mono text-xs")}
        {command.job_id ? <JobLink jobId={command.job_id} /> : null}
      </span>
    );
  }
  const name = script.name ?? "deleted script";
  return (
    <span className="flex min-w-0 items-center gap-2 text-xs" data-testid="command-script">
      <FileCodeIcon className="size-3.5 shrink-0 text-muted-foreground" aria-hidden />
      {script.name ? (
        <Link
          to="/scripts/$scriptId"
          params={{ scriptId: script.id }}
          className="truncate font-medium hover:underline"
          onClick={(event) => event.stopPropagation()}
          data-testid="command-script-link"
        >
          {name} v{script.version}
        </Link>
      ) : (
        <span className="truncate text-muted-foreground" title="The script was deleted from the library since.">
          {name} v{script.version}
        </span>
      )}
      {command.args.length > 0 ? (
        <span className="truncate font-mono text-muted-foreground" title={command.args.join(" ")}>
          {command.args.join(" ")}
        </span>
      ) : null}
      {command.job_id ? <JobLink jobId={command.job_id} /> : null}
      {openButton("output", `Show the output of ${name}`, "ml-auto shrink-0 text-muted-foreground")}
    </span>
  );
}

function JobLink({ jobId }: { jobId: string }) {
  return (
    <Link
      to="/jobs/$jobId"
      params={{ jobId }}
      className="shrink-0 rounded bg-muted px-1.5 py-0.5 text-[11px] text-muted-foreground hover:text-foreground hover:underline"
      title="The job this command was part of"
      onClick={(event) => event.stopPropagation()}
      data-testid="command-job-link"
    >
      job
    </Link>
  );
}

/** Asks, then runs the same command again on the agent and opens the new command's output. */
function RunAgainButton({ command, onStarted }: { command: Command; onStarted: (commandId: string) => void }) {
  const rerun = useRerunCommand();
  const what = command.script
    ? `${command.script.name ?? "the deleted script"} version ${command.script.version}`
    : commandSummary(command);
  return (
    <ConfirmDialog
      variant="default"
      trigger={
        <Button variant="ghost" size="icon-sm" title="Run again" aria-label={`Run again: ${what}`} data-testid="rerun-command-button">
          <RotateCcwIcon />
        </Button>
      }
      title="Run this command again?"
      description={
        <div className="grid gap-1">
          <p>
            Runs <span className="font-medium text-foreground">{what}</span> again on this agent, as a new command in your name.
          </p>
          {command.args.length > 0 ? (
            <p>
              Arguments: <code className="font-mono break-all">{command.args.join(" ")}</code>
            </p>
          ) : null}
          <CommandEnvironment command={command} />
          <p>
            As {runAsLabel(command.run_as)}, with a timeout of {command.timeout_seconds} s.
          </p>
        </div>
      }
      confirmLabel="Run again"
      onConfirm={async () => {
        const started = await rerun.mutateAsync(command.id);
        onStarted(started.id);
      }}
    />
  );
}

/**
 * Opens the run form prefilled with the command, to change it before running it on the agent as a new
 * command. Values of its environment hidden from this user are asked for again, not sent as their
 * placeholder (the plain "Run again" runs the stored values).
 */
function EditAndRunButton({ command, onStarted }: { command: Command; onStarted: (commandId: string) => void }) {
  const [open, setOpen] = useState(false);
  const run = useRunCommand(command.agent_id);
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) run.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button
          variant="ghost"
          size="icon-sm"
          title="Edit and run"
          aria-label={`Edit and run: ${commandFirstLine(command.command)}`}
          data-testid="edit-and-run-button"
        >
          <PencilIcon />
        </Button>
      </DialogTrigger>
      <DialogContent className="sm:max-w-xl" data-testid="edit-and-run-dialog">
        <DialogHeader>
          <DialogTitle>Edit and run</DialogTitle>
          <DialogDescription>Runs the changed command on this agent as a new command in your name.</DialogDescription>
        </DialogHeader>
        {open ? (
          <CommandSpecForm
            initial={commandToForm(command)}
            onRun={(spec) =>
              run.mutate(spec, {
                onSuccess: (started) => {
                  setOpen(false);
                  onStarted(started.id);
                },
              })
            }
            pending={run.isPending}
            error={run.isError ? run.error : null}
            onEdit={() => {
              if (run.isError) run.reset();
            }}
            note="A new command, in your name."
          />
        ) : null}
      </DialogContent>
    </Dialog>
  );
}

function runAsLabel(runAs: Command["run_as"]): string {
  return runAs.context === "user"
    ? `user ${runAs.username}`
    : runAs.context === "user_session"
      ? "the logged-in user"
      : "the agent's account";
}
