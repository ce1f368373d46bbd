import { DEFAULT_COLUMNS, loadColumns, parseColumns, toggleColumn } from "./agent-columns";

describe("agent columns", () => {
  it("defaults when nothing or garbage is stored", () => {
    expect(loadColumns(undefined)).toEqual(DEFAULT_COLUMNS);
    expect(loadColumns({ getItem: () => "not json" })).toEqual(DEFAULT_COLUMNS);
    expect(loadColumns({ getItem: () => JSON.stringify({ cpu: true }) })).toEqual(DEFAULT_COLUMNS);
  });

  it("keeps known columns in the table's order, always with the name", () => {
    expect(parseColumns(["uptime", "secret", "status", 3])).toEqual(["status", "name", "uptime"]);
    expect(loadColumns({ getItem: () => JSON.stringify(["user", "local_ip"]) })).toEqual(["name", "local_ip", "user"]);
  });

  it("toggles a column but never the name", () => {
    expect(toggleColumn(["name", "cpu"], "uptime")).toEqual(["name", "uptime", "cpu"]);
    expect(toggleColumn(["name", "cpu"], "cpu")).toEqual(["name"]);
    expect(toggleColumn(["name", "cpu"], "name")).toEqual(["name", "cpu"]);
  });
});
