//! The jobs list's URL state: search text and page.
import { compact, optionalText, parseListSearch, type ListSearch } from "@/lib/search-params";

export type JobListSearch = ListSearch;

export const parseJobListSearch = parseListSearch;

/** The job page's URL state: the agent command whose output is open. */
export interface JobPageSearch {
  command?: string;
}

export function parseJobPageSearch(raw: Record<string, unknown>): JobPageSearch {
  return compact({ command: optionalText(raw.command) });
}
