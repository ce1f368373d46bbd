import { changeListSearch, parseListSearch } from "./search-params";

describe("parseListSearch", () => {
  it("keeps the search text and a page past the first, and drops anything else", () => {
    expect(parseListSearch({ q: " web ", page: "3", other: "x" })).toEqual({ q: "web", page: 3 });
    expect(parseListSearch({ q: "  ", page: "1" })).toEqual({});
    expect(parseListSearch({ page: "2.5" })).toEqual({});
  });
});

describe("changeListSearch", () => {
  it("goes back to page 1 when the search or a filter changes", () => {
    expect(changeListSearch({ q: "web", category: "net", page: 4 }, { q: "db" })).toEqual({ q: "db", category: "net" });
    expect(changeListSearch({ q: "web", page: 4 }, { q: undefined })).toEqual({});
  });

  it("keeps the search when only the page changes, and leaves page 1 out of the URL", () => {
    expect(changeListSearch({ q: "web", page: 4 }, { page: 5 })).toEqual({ q: "web", page: 5 });
    expect(changeListSearch({ q: "web", page: 4 }, { page: 1 })).toEqual({ q: "web" });
  });

  it("pages a list whose page has another name, and keeps the page when an open row changes", () => {
    const options = { pageKey: "cmd_page", keepsPage: ["command"] } as const;
    type History = { cmd_q?: string; cmd_status?: string; cmd_page?: number; command?: string };
    const change = (current: History, partial: Partial<History>) => changeListSearch(current, partial, options);
    expect(change({ cmd_page: 4, cmd_q: "df" }, { cmd_status: "failed" })).toEqual({ cmd_q: "df", cmd_status: "failed" });
    expect(change({ cmd_q: "df" }, { cmd_page: 2 })).toEqual({ cmd_q: "df", cmd_page: 2 });
    expect(change({ cmd_page: 2 }, { command: "id" })).toEqual({ cmd_page: 2, command: "id" });
    expect(change({ cmd_page: 2, command: "id" }, { command: undefined })).toEqual({ cmd_page: 2 });
  });
});
