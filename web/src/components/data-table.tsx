//! The one table of the dashboard's lists: column definitions, a skeleton while the first answer
//! loads, the list's empty state, the error with a retry, and the pager. Rows keep the server's
//! order: a sortable column asks the server for another order (sorting one page in the browser would
//! mislead).
import type { ComponentProps, ReactNode } from "react";
import { ArrowDownIcon, ArrowUpDownIcon, ArrowUpIcon } from "lucide-react";
import { ErrorMessage } from "@/components/error-message";
import { Pagination } from "@/components/pagination";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { cn } from "@/lib/utils";

type DataAttributes = { [key: `data-${string}`]: string | number | boolean | undefined };
export type RowProps = ComponentProps<"tr"> & DataAttributes;
export type CellProps = ComponentProps<"td"> & DataAttributes;

export interface DataColumn<T> {
  /** The header's text, unique within the table. */
  header: string;
  /** Shown in the header instead of the text (a select-all box); the text stays its key and label. */
  headerContent?: ReactNode;
  headerClassName?: string;
  /**
   * The column takes the row's spare width and its content truncates (a name and its summary). On a
   * narrow screen it keeps a readable width and the table scrolls sideways in its box instead.
   */
  fill?: boolean;
  /** The class of every cell of the column. */
  className?: string;
  /** Props of one row's cell: a class, a title, a test id. */
  cellProps?: (row: T) => CellProps;
  /** The cell's content; a cell that needs hooks returns a component. */
  cell: (row: T) => ReactNode;
  /** The server's name of the order this column sorts by; the header then sorts the list. */
  sortKey?: string;
}

/** The list's order, as the server was asked for it. */
export interface TableSort {
  key: string;
  order: "asc" | "desc";
  /** A header clicked: its key, ascending first, then descending. */
  onSortChange: (key: string, order: "asc" | "desc") => void;
}

/** `max-w-0` lets the cell's content shrink below its width, `w-full` gives it the spare width. */
const FILL_CELL = "w-full max-w-0 min-w-56";

/** One page of a list as the API answers it. */
export interface ListPage<T> {
  items: T[];
  total: number;
  per_page: number;
}

/** What the table reads of a list's query (a TanStack Query result fits). */
export interface ListQuery<T> {
  data: ListPage<T> | undefined;
  isPending: boolean;
  isError: boolean;
  error: unknown;
  refetch: () => unknown;
}

export interface DataTableProps<T> {
  query: ListQuery<T>;
  columns: readonly DataColumn<T>[];
  rowKey: (row: T) => string;
  rowProps?: (row: T) => RowProps;
  /** The table element's `data-testid`. */
  testId: string;
  /** Shown instead of the table when the answer has no row. */
  empty: ReactNode;
  /** The skeleton's height while the first answer loads. */
  loadingClassName?: string;
  /** Frame the table in a card (a page's list), or not (a table inside a card already). */
  framed?: boolean;
  /** Dim the rows while they stand for the previous page (`isPlaceholderData`). */
  dimmed?: boolean;
  /** Sort by the columns that have a `sortKey`. */
  sort?: TableSort;
  /** Page through the list; without it, the table shows the first page only. */
  pagination?: {
    page: number;
    /** Used when the answer does not say how many rows a page has. */
    perPage: number;
    onPageChange: (page: number) => void;
    /** Show the pager only when there is more than one page. */
    onlyWhenSeveral?: boolean;
  };
}

export function DataTable<T>({
  query,
  columns,
  rowKey,
  rowProps,
  testId,
  empty,
  loadingClassName = "h-40",
  framed = false,
  dimmed = false,
  sort,
  pagination,
}: DataTableProps<T>) {
  const data = query.data;
  return (
    <>
      {query.isError ? <ErrorMessage error={query.error} onRetry={() => void query.refetch()} /> : null}
      {query.isPending ? (
        <Skeleton className={loadingClassName} />
      ) : !data ? null : data.items.length === 0 ? (
        empty
      ) : (
        <>
          <Frame framed={framed}>
            <RowsTable
              columns={columns}
              rows={data.items}
              rowKey={rowKey}
              rowProps={rowProps}
              testId={testId}
              dimmed={dimmed}
              sort={sort}
            />
          </Frame>
          {pagination ? <ListPager answer={data} {...pagination} /> : null}
        </>
      )}
    </>
  );
}

/** The table alone, for rows that are not a paged list (a job's agents). */
export function RowsTable<T>({
  columns,
  rows,
  rowKey,
  rowProps,
  testId,
  dimmed = false,
  sort,
}: Pick<DataTableProps<T>, "columns" | "rowKey" | "rowProps" | "testId" | "dimmed" | "sort"> & { rows: readonly T[] }) {
  return (
    <Table data-testid={testId} className={cn(dimmed && "opacity-60")}>
      <TableHeader>
        <TableRow>
          {columns.map((column) => {
            const sorted = sort && column.sortKey === sort.key ? sort.order : undefined;
            return (
              <TableHead
                key={column.header}
                className={column.headerClassName}
                aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
              >
                {sort && column.sortKey ? (
                  <SortButton column={column} sort={sort} sorted={sorted} />
                ) : (
                  (column.headerContent ?? column.header)
                )}
              </TableHead>
            );
          })}
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((row) => (
          <TableRow key={rowKey(row)} {...rowProps?.(row)}>
            {columns.map((column) => {
              const props = column.cellProps?.(row);
              return (
                <TableCell key={column.header} {...props} className={cn(column.fill && FILL_CELL, column.className, props?.className)}>
                  {column.cell(row)}
                </TableCell>
              );
            })}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** A sortable header: a click sorts by it ascending, a second click descending. */
function SortButton<T>({ column, sort, sorted }: { column: DataColumn<T>; sort: TableSort; sorted: "asc" | "desc" | undefined }) {
  const Icon = sorted === "asc" ? ArrowUpIcon : sorted === "desc" ? ArrowDownIcon : ArrowUpDownIcon;
  const key = column.sortKey ?? "";
  return (
    <button
      type="button"
      className={cn(
        "-mx-1 inline-flex items-center gap-1 rounded px-1 hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
        sorted && "text-foreground",
      )}
      data-testid={`sort-${key}`}
      onClick={() => sort.onSortChange(key, sorted === "asc" ? "desc" : "asc")}
    >
      {column.headerContent ?? column.header}
      <Icon className={cn("size-3.5", !sorted && "opacity-40")} aria-hidden />
    </button>
  );
}

function Frame({ framed, children }: { framed: boolean; children: ReactNode }) {
  return framed ? <Card className="overflow-hidden">{children}</Card> : children;
}

function ListPager({
  answer,
  page,
  perPage,
  onPageChange,
  onlyWhenSeveral = false,
}: { answer: ListPage<unknown> } & NonNullable<DataTableProps<unknown>["pagination"]>) {
  const rowsPerPage = answer.per_page || perPage;
  if (onlyWhenSeveral && answer.total <= rowsPerPage) return null;
  return <Pagination page={page} perPage={rowsPerPage} total={answer.total} onPageChange={onPageChange} />;
}
