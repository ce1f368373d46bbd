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

/**
 * How `changeListSearch` pages the history: its page is `cmd_page`, and opening or closing a
 * command's output keeps the page; a filter change goes back to the first page.
 */
export const COMMAND_HISTORY_PAGING = { pageKey: "cmd_page", keepsPage: ["command"] } as const;
