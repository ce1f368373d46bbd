import type { CustomField } from "@/api/types";
import {
  customFieldFilterOptions,
  agentListQuery,
  agentListSearchFromQuery,
  changeAgentListSearch,
  parseAgentListSearch,
  parseAgentPageSearch,
} from "./agent-list-search";

const CLIENT = "0b0e7e36-4f38-4cb6-9d4a-2f4a8f0f8a11";
const OTHER_CLIENT = "1b0e7e36-4f38-4cb6-9d4a-2f4a8f0f8a11";
const SITE = "2c1f8f47-5049-4dc7-8e5b-3f5b9f1f9b22";

describe("parseAgentListSearch", () => {
  it("keeps valid filters from the URL", () => {
    expect(parseAgentListSearch({ q: " web01 ", client_id: CLIENT, site_id: SITE, status: "online", page: "3" })).toEqual({
      q: "web01",
      client_id: CLIENT,
      site_id: SITE,
      status: "online",
      page: 3,
    });
  });

  it("keeps a tag, in lowercase as tags are stored", () => {
    expect(parseAgentListSearch({ tag: " Reception " })).toEqual({ tag: "reception" });
    expect(parseAgentListSearch({ tag: "  " })).toEqual({});
  });

  it("drops hand-edited garbage instead of failing the page", () => {
    expect(parseAgentListSearch({ q: "", client_id: "not-a-uuid", status: "sleeping", page: "-4" })).toEqual({});
    expect(parseAgentListSearch({ page: 1 })).toEqual({});
    expect(parseAgentListSearch({ page: "2.5" })).toEqual({});
  });
});

describe("changeAgentListSearch", () => {
  const current = { q: "web", client_id: CLIENT, site_id: SITE, status: "online" as const, page: 4 };

  it("goes back to page 1 when a filter changes", () => {
    expect(changeAgentListSearch(current, { status: "offline" })).toEqual({
      q: "web",
      client_id: CLIENT,
      site_id: SITE,
      status: "offline",
    });
    expect(changeAgentListSearch(current, { q: undefined })).toEqual({ client_id: CLIENT, site_id: SITE, status: "online" });
  });

  it("keeps the filters when only the page changes", () => {
    expect(changeAgentListSearch(current, { page: 5 })).toEqual({ ...current, page: 5 });
    expect(changeAgentListSearch(current, { page: 1 })).toEqual({ q: "web", client_id: CLIENT, site_id: SITE, status: "online" });
  });

  it("clears the site when another client is chosen", () => {
    expect(changeAgentListSearch(current, { client_id: OTHER_CLIENT })).toEqual({ q: "web", client_id: OTHER_CLIENT, status: "online" });
    expect(changeAgentListSearch(current, { client_id: undefined })).toEqual({ q: "web", status: "online" });
  });
});

describe("parseAgentPageSearch", () => {
  it("accepts the three ranges and keeps the default out of the URL", () => {
    expect(parseAgentPageSearch({ range: "24h" })).toEqual({ range: "24h" });
    expect(parseAgentPageSearch({ range: "7d" })).toEqual({ range: "7d" });
    expect(parseAgentPageSearch({ range: "1h" })).toEqual({});
    expect(parseAgentPageSearch({ range: "30d" })).toEqual({});
  });
});

describe("saved view queries", () => {
  it("round-trip the filters and order, without the page", () => {
    const search = { q: "web 01", status: "offline", os: "windows", sort: "cpu", order: "desc", tag: "servers", page: 4 } as const;
    const query = agentListQuery(search);
    expect(query).toBe("q=web+01&status=offline&os=windows&sort=cpu&order=desc&tag=servers");
    expect(agentListSearchFromQuery(query)).toEqual({
      q: "web 01",
      status: "offline",
      os: "windows",
      sort: "cpu",
      order: "desc",
      tag: "servers",
    });
  });

  it("drops what a hand-edited view holds that the list does not know", () => {
    expect(agentListSearchFromQuery("sort=secret&os=beos&version=0.3.0&x=1")).toEqual({ version: "0.3.0" });
  });
});

describe("the custom field filter", () => {
  const field = (key: string, scope: CustomField["scope"], kind: CustomField["kind"], choices: string[] = []): CustomField => ({
    id: `${scope}-${key}`,
    key,
    name: `${key} (${scope})`,
    scope,
    kind,
    choices,
    created_at: "2025-01-01T00:00:00Z",
  });

  it("lists each key once, with choices only when every field of it is a choice field", () => {
    const options = customFieldFilterOptions([
      field("tier", "client", "choice", ["Gold", "Silver"]),
      field("tier", "site", "choice", ["Gold", "Bronze"]),
      field("asset", "agent", "text"),
      field("room", "site", "choice", ["A"]),
      field("room", "agent", "text"),
    ]);
    expect([...options]).toEqual([
      ["tier", { name: "tier (client)", choices: ["Gold", "Silver", "Bronze"] }],
      ["asset", { name: "asset (agent)", choices: null }],
      ["room", { name: "room (site)", choices: null }],
    ]);
  });

  it("keeps the field and its value in the URL", () => {
    expect(parseAgentListSearch({ custom_field: "tier", custom_value: " Gold " })).toMatchObject({
      custom_field: "tier",
      custom_value: "Gold",
    });
  });
});
