//! Validators for URL search params, so pasted or hand-edited URLs never crash a page: anything
//! unexpected is dropped and the page falls back to its default.

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Text, trimmed and cut to `maxChars` (200 unless said). */
export function optionalText(value: unknown, maxChars = 200): string | undefined {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 ? Array.from(trimmed).slice(0, maxChars).join("") : undefined;
}

export function optionalUuid(value: unknown): string | undefined {
  return typeof value === "string" && UUID_PATTERN.test(value) ? value.toLowerCase() : undefined;
}

/** A 1-based page; page 1 is the default and is left out of the URL. */
export function optionalPage(value: unknown): number | undefined {
  const number = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number <= 1) return undefined;
  return Math.min(number, 100_000);
}

export function optionalEnum<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === "string" && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** Drops undefined keys so URLs stay short and equal states give equal URLs. */
export function compact<T extends object>(search: T): T {
  return Object.fromEntries(Object.entries(search).filter(([, value]) => value !== undefined)) as T;
}

/** The URL state every searchable paged list has: the search text and the page. */
export interface ListSearch {
  q?: string;
  page?: number;
}

export function parseListSearch(raw: Record<string, unknown>): ListSearch {
  return compact({ q: optionalText(raw.q), page: optionalPage(raw.page) });
}

/**
 * The one way a paged list's URL state changes. Any change other than the page (or than a key named
 * in `keepsPage`, such as which row is open) goes back to page 1; page 1 and cleared values stay out
 * of the URL. `pageKey` names the page where a list shares the URL with its page (`cmd_page`).
 */
export function changeListSearch<T extends object>(
  current: T,
  change: Partial<T>,
  { pageKey = "page" as keyof T & string, keepsPage = [] }: { pageKey?: keyof T & string; keepsPage?: readonly (keyof T & string)[] } = {},
): T {
  const next: Record<string, unknown> = { ...current, ...change };
  const filterChanged = Object.keys(change).some((key) => key !== pageKey && !(keepsPage as readonly string[]).includes(key));
  if (filterChanged && !(pageKey in change)) next[pageKey] = undefined;
  const page = next[pageKey];
  if (typeof page === "number" && page <= 1) next[pageKey] = undefined;
  return compact(next) as T;
}
