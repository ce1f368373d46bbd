import { HistoryIcon, XIcon } from "lucide-react";
import type { Command } from "@/api/types";
import { CommandOutputDialog } from "@/components/command-output-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { RelativeTime } from "@/components/relative-time";
import { SearchInput } from "@/components/search-input";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { exitCodeClass, formatRunDuration } from "@/lib/format";
import { changeListSearch } from "@/lib/search-params";
import { COMMANDS_PER_PAGE, useAgentCommands } from "../api/commands";
import { COMMAND_HISTORY_PAGING, type CommandHistorySearch } from "../command-history-search";
import { COMMAND_STATUS_LABELS, COMMAND_STATUSES, COMMAND_TYPE_LABELS, commandFirstLine, type CommandStatus } from "../command-status";
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
          columns={historyColumns(open)}
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

function historyColumns(open: (commandId: string) => void): DataColumn<Command>[] {
  return [
    { header: "Status", headerClassName: "w-28", cell: (command) => <CommandStatusBadge status={command.status} /> },
    {
      header: "Type",
      headerClassName: "w-24",
      className: "text-muted-foreground",
      cell: (command) => COMMAND_TYPE_LABELS[command.command_type] ?? command.command_type,
    },
    {
      header: "Command",
      className: "max-w-0 w-full",
      cell: (command) => (
        // The button makes the row reachable by keyboard; the whole row is clickable with the mouse.
        <button
          type="button"
          className="block w-full truncate text-left font-mono text-xs hover:underline focus-visible:underline focus-visible:outline-none"
          title={command.command}
          onClick={(event) => {
            event.stopPropagation();
            open(command.id);
          }}
        >
          {commandFirstLine(command.command)}
        </button>
      ),
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
}
