//! The scripts list's URL state: search text, category and page.
import { compact, optionalText, parseListSearch, type ListSearch } from "@/lib/search-params";

export interface ScriptListSearch extends ListSearch {
  category?: string;
}

export function parseScriptListSearch(raw: Record<string, unknown>): ScriptListSearch {
  return compact({ ...parseListSearch(raw), category: optionalText(raw.category) });
}
