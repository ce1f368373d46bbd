//! An agent's packages as its Software tab shows them: filtered by a part of the name (or publisher),
//! sorted by a column, in pages. The whole list comes with the inventory (at most 20,000 packages),
//! so this happens in the browser.
import type { SoftwareItem } from "@/api/types";
import { compareVersions } from "./version-order";

export const SOFTWARE_SORTS = ["name", "version", "source", "install_date"] as const;
export type SoftwareSort = (typeof SOFTWARE_SORTS)[number];

export interface SoftwareListState {
  filter: string;
  sort: SoftwareSort;
  descending: boolean;
}

const byName = (a: SoftwareItem, b: SoftwareItem) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });

const COMPARE: Record<SoftwareSort, (a: SoftwareItem, b: SoftwareItem) => number> = {
  name: (a, b) => byName(a, b) || compareVersions(a.version, b.version),
  version: (a, b) => compareVersions(a.version, b.version) || byName(a, b),
  source: (a, b) => a.source.localeCompare(b.source) || byName(a, b),
  // Packages without a date (dpkg records none) go last either way.
  install_date: (a, b) => (a.install_date ?? "9999").localeCompare(b.install_date ?? "9999") || byName(a, b),
};

/** The packages matching `filter` (name or publisher, any case), in the chosen order. */
export function visibleSoftware(items: readonly SoftwareItem[], state: SoftwareListState): SoftwareItem[] {
  const needle = state.filter.trim().toLowerCase();
  const matching = needle
    ? items.filter((item) => item.name.toLowerCase().includes(needle) || (item.publisher ?? "").toLowerCase().includes(needle))
    : [...items];
  const compare = COMPARE[state.sort];
  matching.sort((a, b) => (state.descending ? -compare(a, b) : compare(a, b)));
  return matching;
}
