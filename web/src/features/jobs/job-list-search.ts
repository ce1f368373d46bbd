//! The jobs list's URL state: search text and page.
import { compact, optionalPage, optionalText } from "@/lib/search-params";

export interface JobListSearch {
  q?: string;
  page?: number;
}

export function parseJobListSearch(raw: Record<string, unknown>): JobListSearch {
  return compact({ q: optionalText(raw.q), page: optionalPage(raw.page) });
}

/** The job page's URL state: the agent command whose output is open. */
export interface JobPageSearch {
  command?: string;
}

export function parseJobPageSearch(raw: Record<string, unknown>): JobPageSearch {
  return compact({ command: optionalText(raw.command) });
}
