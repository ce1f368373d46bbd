//! The deleted agents list's search and page, kept in the URL like the agents list's.
import { compact, optionalPage, optionalText } from "@/lib/search-params";

export interface DeletedAgentListSearch {
  q?: string;
  page?: number;
}

export function parseDeletedAgentListSearch(raw: Record<string, unknown>): DeletedAgentListSearch {
  return compact({ q: optionalText(raw.q), page: optionalPage(raw.page) });
}

/** A new search goes back to page 1; page 1 stays out of the URL. */
export function changeDeletedAgentListSearch(
  current: DeletedAgentListSearch,
  change: Partial<DeletedAgentListSearch>,
): DeletedAgentListSearch {
  const next: DeletedAgentListSearch = { ...current, ...change };
  if (!("page" in change)) next.page = undefined;
  if (next.page !== undefined && next.page <= 1) next.page = undefined;
  return compact(next);
}
