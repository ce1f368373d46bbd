import { changeListSearch } from "@/lib/search-params";
import { COMMAND_HISTORY_PAGING, parseCommandHistorySearch, type CommandHistorySearch } from "./command-history-search";

const changeCommandHistorySearch = (current: CommandHistorySearch, change: Partial<CommandHistorySearch>) =>
  changeListSearch(current, change, COMMAND_HISTORY_PAGING);

describe("command history search params", () => {
  it("keeps valid filters and drops anything a hand-edited URL could hold", () => {
    expect(
      parseCommandHistorySearch({ cmd_status: "failed", cmd_q: " df ", cmd_page: "3", command: "0b6c4a9e-8d4f-4c8e-9d5b-7c1e2f3a4b5c" }),
    ).toEqual({
      cmd_status: "failed",
      cmd_q: "df",
      cmd_page: 3,
      command: "0b6c4a9e-8d4f-4c8e-9d5b-7c1e2f3a4b5c",
    });
    expect(parseCommandHistorySearch({ cmd_status: "sleeping", cmd_q: "  ", cmd_page: "-1", command: "../etc" })).toEqual({});
  });

  it("goes back to the first page when a filter changes, but not when paging", () => {
    expect(changeCommandHistorySearch({ cmd_page: 4, cmd_q: "df" }, { cmd_status: "failed" })).toEqual({
      cmd_q: "df",
      cmd_status: "failed",
    });
    expect(changeCommandHistorySearch({ cmd_q: "df" }, { cmd_page: 2 })).toEqual({ cmd_q: "df", cmd_page: 2 });
    expect(changeCommandHistorySearch({ cmd_page: 2 }, { command: "id" })).toEqual({ cmd_page: 2, command: "id" });
  });
});
