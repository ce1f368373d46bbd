//! The scripts list's URL state: search text, category and page.
import { compact, optionalPage, optionalText } from "@/lib/search-params";

export interface ScriptListSearch {
  q?: string;
  category?: string;
  page?: number;
}

export function parseScriptListSearch(raw: Record<string, unknown>): ScriptListSearch {
  return compact({ q: optionalText(raw.q), category: optionalText(raw.category), page: optionalPage(raw.page) });
}
