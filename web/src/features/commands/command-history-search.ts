//! The agent page's command history filters, page and opened command, kept in the URL (next to the
//! page's own params) so a filtered history or one command's output can be linked to.
import { compact, optionalEnum, optionalPage, optionalText, optionalUuid } from "@/lib/search-params";
import { COMMAND_STATUSES, type CommandStatus } from "./command-status";

export interface CommandHistorySearch {
  cmd_status?: CommandStatus;
  cmd_q?: string;
  cmd_page?: number;
  /** The command whose output is open. */
  command?: string;
}

export function parseCommandHistorySearch(raw: Record<string, unknown>): CommandHistorySearch {
  return compact({
    cmd_status: optionalEnum(raw.cmd_status, COMMAND_STATUSES),
    cmd_q: optionalText(raw.cmd_q),
    cmd_page: optionalPage(raw.cmd_page),
    command: optionalUuid(raw.command),
  });
}

/** A filter change goes back to the first page; paging keeps the filters. */
export function changeCommandHistorySearch(current: CommandHistorySearch, change: Partial<CommandHistorySearch>): CommandHistorySearch {
  const next: CommandHistorySearch = { ...current, ...change };
  if (("cmd_status" in change || "cmd_q" in change) && !("cmd_page" in change)) next.cmd_page = undefined;
  if (next.cmd_page !== undefined && next.cmd_page <= 1) next.cmd_page = undefined;
  return compact(next);
}
