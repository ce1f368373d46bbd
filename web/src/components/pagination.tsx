import { ChevronLeftIcon, ChevronRightIcon } from "lucide-react";
import { Button } from "@/components/ui/button";

/** "101–150 of 312" with previous/next; pages are 1-based like the API. */
export function Pagination({
  page,
  perPage,
  total,
  onPageChange,
}: {
  page: number;
  perPage: number;
  total: number;
  onPageChange: (page: number) => void;
}) {
  const pageCount = Math.max(1, Math.ceil(total / perPage));
  const first = total === 0 ? 0 : (page - 1) * perPage + 1;
  const last = Math.min(total, page * perPage);
  return (
    <div className="flex flex-wrap items-center justify-end gap-2 text-xs text-muted-foreground" data-testid="pagination">
      <span>
        {first}–{last} of {total}
      </span>
      <Button variant="outline" size="icon-sm" aria-label="Previous page" disabled={page <= 1} onClick={() => onPageChange(page - 1)}>
        <ChevronLeftIcon />
      </Button>
      <span>
        Page {Math.min(page, pageCount)} of {pageCount}
      </span>
      <Button variant="outline" size="icon-sm" aria-label="Next page" disabled={page >= pageCount} onClick={() => onPageChange(page + 1)}>
        <ChevronRightIcon />
      </Button>
    </div>
  );
}
