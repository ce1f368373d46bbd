//! The discovery page's URL state: which devices are shown (new, missing, not managed by an agent)
//! and the text searched, so a finding ("the new devices at HQ") can be shared as a link.
import { compact, optionalEnum, optionalText } from "@/lib/search-params";

export const DEVICE_FILTERS = ["new", "missing", "unmanaged"] as const;
export type DeviceFilter = (typeof DEVICE_FILTERS)[number];

export interface DiscoverySearch {
  show?: DeviceFilter;
  q?: string;
}

export function parseDiscoverySearch(raw: Record<string, unknown>): DiscoverySearch {
  return compact({
    show: optionalEnum(raw.show, DEVICE_FILTERS),
    q: optionalText(raw.q),
  });
}
