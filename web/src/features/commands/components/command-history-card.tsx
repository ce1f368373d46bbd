import { HistoryIcon, XIcon } from "lucide-react";
import type { Command } from "@/api/types";
import { ErrorMessage } from "@/components/error-message";
import { Pagination } from "@/components/pagination";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useLastDefined } from "@/hooks/use-last-defined";
import { cn } from "@/lib/utils";
import { COMMANDS_PER_PAGE, useAgentCommands } from "../api/commands";
import { changeCommandHistorySearch, type CommandHistorySearch } from "../command-history-search";
import {
  COMMAND_STATUS_LABELS,
  COMMAND_STATUSES,
  COMMAND_TYPE_LABELS,
  commandDurationMs,
  commandFirstLine,
  formatCommandDuration,
  type CommandStatus,
} from "../command-status";
import { CommandStatusBadge } from "./command-status-badge";
import { CommandTerminal } from "./command-terminal";

const ANY_STATUS = "__any__";

/** The agent's commands, newest first; a row opens that command's output. */
export function CommandHistoryCard({
  agentId,
  agentOnline,
  search,
  onSearchChange,
}: {
  agentId: string;
  agentOnline: boolean;
  search: CommandHistorySearch;
  onSearchChange: (next: CommandHistorySearch) => void;
}) {
  const commands = useAgentCommands(agentId, search);
  const change = (partial: Partial<CommandHistorySearch>) => onSearchChange(changeCommandHistorySearch(search, partial));
  const filtered = Boolean(search.cmd_q || search.cmd_status);
  const items = commands.data?.items ?? [];

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
        {commands.isError ? <ErrorMessage error={commands.error} onRetry={() => void commands.refetch()} /> : null}
        {commands.isPending ? (
          <Skeleton className="h-24" />
        ) : items.length === 0 ? (
          <p className="py-3 text-sm text-muted-foreground" data-testid="command-history-empty">
            {filtered ? "No command matches these filters." : "No command has been run on this agent yet."}
          </p>
        ) : (
          <>
            <Table data-testid="command-history-table" className={cn(commands.isPlaceholderData && "opacity-60")}>
              <TableHeader>
                <TableRow>
                  <TableHead className="w-28">Status</TableHead>
                  <TableHead className="w-24">Type</TableHead>
                  <TableHead>Command</TableHead>
                  <TableHead className="w-44">By</TableHead>
                  <TableHead className="w-28">Created</TableHead>
                  <TableHead className="w-20 text-right">Duration</TableHead>
                  <TableHead className="w-12 text-right">Exit</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((command) => (
                  <HistoryRow key={command.id} command={command} onOpen={() => change({ command: command.id })} />
                ))}
              </TableBody>
            </Table>
            {commands.data && commands.data.total > (commands.data.per_page || COMMANDS_PER_PAGE) ? (
              <Pagination
                page={search.cmd_page ?? 1}
                perPage={commands.data.per_page || COMMANDS_PER_PAGE}
                total={commands.data.total}
                onPageChange={(page) => change({ cmd_page: page })}
              />
            ) : null}
          </>
        )}
      </CardContent>
      <CommandOutputDialog commandId={search.command} agentOnline={agentOnline} onClose={() => change({ command: undefined })} />
    </Card>
  );
}

function HistoryRow({ command, onOpen }: { command: Command; onOpen: () => void }) {
  const duration = commandDurationMs(command);
  return (
    <TableRow
      data-testid="command-row"
      data-command-id={command.id}
      data-status={command.status}
      className="cursor-pointer"
      onClick={onOpen}
    >
      <TableCell>
        <CommandStatusBadge status={command.status} />
      </TableCell>
      <TableCell className="text-muted-foreground">{COMMAND_TYPE_LABELS[command.command_type] ?? command.command_type}</TableCell>
      <TableCell className="max-w-0 w-full">
        {/* The button makes the row reachable by keyboard; the whole row is clickable with the mouse. */}
        <button
          type="button"
          className="block w-full truncate text-left font-mono text-xs hover:underline focus-visible:underline focus-visible:outline-none"
          title={command.command}
          onClick={(event) => {
            event.stopPropagation();
            onOpen();
          }}
        >
          {commandFirstLine(command.command)}
        </button>
      </TableCell>
      <TableCell className="max-w-44 truncate text-muted-foreground" title={command.created_by_email}>
        {command.created_by_email}
      </TableCell>
      <TableCell className="text-muted-foreground">
        <RelativeTime value={command.created_at} />
      </TableCell>
      <TableCell className="text-right tabular-nums text-muted-foreground">
        {command.finished_at || command.status === "running" ? formatCommandDuration(duration) : "–"}
      </TableCell>
      <TableCell
        className={cn(
          "text-right font-mono tabular-nums",
          command.exit_code === 0 ? "text-success" : command.exit_code != null ? "text-destructive" : "text-muted-foreground",
        )}
      >
        {command.exit_code ?? "–"}
      </TableCell>
    </TableRow>
  );
}

function CommandOutputDialog({
  commandId,
  agentOnline,
  onClose,
}: {
  commandId: string | undefined;
  agentOnline: boolean;
  onClose: () => void;
}) {
  // Keep the last id while the dialog animates closed, so its content does not vanish first.
  const shownId = useLastDefined(commandId);
  return (
    <Dialog open={commandId !== undefined} onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogContent className="sm:max-w-4xl" data-testid="command-output-dialog">
        <DialogHeader>
          <DialogTitle>Command output</DialogTitle>
          <DialogDescription className="sr-only">Status and output of one command run on this agent.</DialogDescription>
        </DialogHeader>
        {shownId ? <CommandTerminal key={shownId} commandId={shownId} agentOnline={agentOnline} /> : null}
      </DialogContent>
    </Dialog>
  );
}
