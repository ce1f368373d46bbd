import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { DataTable, type DataColumn, type ListQuery } from "./data-table";

interface Row {
  id: string;
  name: string;
  count: number;
}

const COLUMNS: DataColumn<Row>[] = [
  { header: "Name", cell: (row) => row.name },
  {
    header: "Count",
    headerClassName: "text-right",
    className: "text-right",
    cellProps: () => ({ "data-testid": "count" }),
    cell: (row) => row.count,
  },
];

const rows = (count: number, from = 1): Row[] =>
  Array.from({ length: count }, (_, index) => ({ id: `r${from + index}`, name: `row ${from + index}`, count: from + index }));

function query(overrides: Partial<ListQuery<Row>>): ListQuery<Row> {
  return { data: undefined, isPending: false, isError: false, error: null, refetch: vi.fn(), ...overrides };
}

function renderTable(
  listQuery: ListQuery<Row>,
  { page = 1, onlyWhenSeveral = false, dimmed = false }: { page?: number; onlyWhenSeveral?: boolean; dimmed?: boolean } = {},
) {
  const onPageChange = vi.fn();
  render(
    <DataTable
      query={listQuery}
      columns={COLUMNS}
      rowKey={(row) => row.id}
      rowProps={(row) => ({ "data-testid": "row", "data-name": row.name })}
      testId="things-table"
      loadingClassName="h-24"
      dimmed={dimmed}
      empty={<p data-testid="things-empty">Nothing yet.</p>}
      pagination={{ page, perPage: 10, onPageChange, onlyWhenSeveral }}
    />,
  );
  return { onPageChange };
}

describe("DataTable", () => {
  it("shows a skeleton, and no table, empty state or pager, while the first answer loads", () => {
    renderTable(query({ isPending: true }));
    expect(document.querySelector('[data-slot="skeleton"]')).toHaveClass("h-24");
    expect(screen.queryByTestId("things-table")).not.toBeInTheDocument();
    expect(screen.queryByTestId("things-empty")).not.toBeInTheDocument();
    expect(screen.queryByTestId("pagination")).not.toBeInTheDocument();
  });

  it("shows the list's empty state instead of the table when the answer has no row", () => {
    renderTable(query({ data: { items: [], total: 0, per_page: 10 } }));
    expect(screen.getByTestId("things-empty")).toHaveTextContent("Nothing yet.");
    expect(screen.queryByTestId("things-table")).not.toBeInTheDocument();
    expect(screen.queryByTestId("pagination")).not.toBeInTheDocument();
  });

  it("lists the rows in the server's order with their columns and row attributes", () => {
    renderTable(
      query({
        data: {
          items: [
            { id: "b", name: "zeta", count: 2 },
            { id: "a", name: "alpha", count: 1 },
          ],
          total: 2,
          per_page: 10,
        },
      }),
    );
    const table = screen.getByTestId("things-table");
    expect(
      within(table)
        .getAllByRole("columnheader")
        .map((header) => header.textContent),
    ).toEqual(["Name", "Count"]);
    expect(screen.getAllByTestId("row").map((row) => row.getAttribute("data-name"))).toEqual(["zeta", "alpha"]);
    expect(within(screen.getAllByTestId("row")[0]!).getByTestId("count")).toHaveTextContent("2");
    expect(within(screen.getAllByTestId("row")[0]!).getByTestId("count")).toHaveClass("text-right");
  });

  it("pages through the list with the server's page size", async () => {
    const { onPageChange } = renderTable(query({ data: { items: rows(25, 26), total: 60, per_page: 25 } }), { page: 2 });
    const pager = screen.getByTestId("pagination");
    expect(pager).toHaveTextContent("26–50 of 60");
    expect(pager).toHaveTextContent("Page 2 of 3");
    await userEvent.click(within(pager).getByRole("button", { name: "Next page" }));
    expect(onPageChange).toHaveBeenLastCalledWith(3);
    await userEvent.click(within(pager).getByRole("button", { name: "Previous page" }));
    expect(onPageChange).toHaveBeenLastCalledWith(1);
  });

  it("hides a one-page pager when asked to, and keeps it otherwise", () => {
    renderTable(query({ data: { items: rows(3), total: 3, per_page: 10 } }), { onlyWhenSeveral: true });
    expect(screen.getByTestId("things-table")).toBeInTheDocument();
    expect(screen.queryByTestId("pagination")).not.toBeInTheDocument();
  });

  it("shows a one-page pager by default", () => {
    renderTable(query({ data: { items: rows(3), total: 3, per_page: 10 } }));
    expect(screen.getByTestId("pagination")).toHaveTextContent("1–3 of 3");
  });

  it("dims the rows of the previous page while the next one loads", () => {
    renderTable(query({ data: { items: rows(2), total: 2, per_page: 10 } }), { dimmed: true });
    expect(screen.getByTestId("things-table")).toHaveClass("opacity-60");
  });

  it("shows the error with a retry, above the rows it still has", async () => {
    const refetch = vi.fn();
    renderTable(query({ isError: true, error: new Error("server down"), refetch, data: { items: rows(1), total: 1, per_page: 10 } }));
    expect(screen.getByRole("alert")).toHaveTextContent("server down");
    expect(screen.getByTestId("things-table")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(refetch).toHaveBeenCalled();
  });

  it("shows only the error when the first answer failed", () => {
    renderTable(query({ isError: true, error: new Error("server down") }));
    expect(screen.getByRole("alert")).toHaveTextContent("server down");
    expect(screen.queryByTestId("things-table")).not.toBeInTheDocument();
    expect(screen.queryByTestId("things-empty")).not.toBeInTheDocument();
  });
});
